"""Sending e-mail through the node's SMTP server: one message at a time, plain text with an
optional HTML part, over STARTTLS, implicit TLS (SSL) or a plain local connection.

A failure says whether the message may have gone out, which is what a sender that must not
send twice needs to know:

- `MailNotSent`: it was certainly not accepted (no connection, a refused login, the server
  answered MAIL, RCPT or DATA with an error). `permanent` when the server answered 5xx:
  sending it again will not help.
- `MailUncertain`: the connection broke after the message's body was handed over and
  before the server's answer: it may have been accepted.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from p2pvalue.errors import P2PError

SECURITIES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
MAX_ADDRESS = 254


@dataclass(frozen=True)
class MailSettings:
    """Where and how the node sends mail (`"mail"` in config.json)."""

    host: str
    sender: str  # the From address, e.g. "Guild node <node@example.org>"
    port: int = 587
    security: str = "starttls"  # "starttls", "ssl" (implicit TLS) or "none"
    username: str | None = None
    password: str | None = None
    timeout_s: float = 30.0

    @classmethod
    def of(cls, given: Mapping[str, Any]) -> MailSettings:
        """The settings in config.json's `"mail"` object, checked; `P2PError` bad_config."""
        security = given.get("security", "starttls")
        if security not in SECURITIES:
            raise P2PError("bad_config", f"mail.security is one of {', '.join(SECURITIES)}")
        host, sender = given.get("host"), given.get("from")
        if not isinstance(host, str) or not host:
            raise P2PError("bad_config", "mail.host names the SMTP server")
        if not isinstance(sender, str) or not is_address(parseaddr(sender)[1]):
            raise P2PError("bad_config", "mail.from is the address mail is sent from")
        port = given.get("port", DEFAULT_PORTS[security])
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise P2PError("bad_config", "mail.port is a port number")
        timeout = given.get("timeout_s", 30.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise P2PError("bad_config", "mail.timeout_s is a number of seconds")
        user, password = given.get("username"), given.get("password")
        if not all(v is None or isinstance(v, str) for v in (user, password)):
            raise P2PError("bad_config", "mail.username and mail.password are strings")
        return cls(host, sender, port, security, user, password, float(timeout))


class MailNotSent(Exception):
    """The server did not take the message; `permanent` if it refused it for good (5xx)."""

    def __init__(self, reason: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class MailUncertain(Exception):
    """The message may or may not have been accepted: the answer to its body was lost."""


def is_address(address: str) -> bool:
    """Whether `address` looks like a deliverable mailbox: ASCII, a dotted domain after
    the last @, no spaces or brackets, at most 254 characters."""
    local, at, domain = address.rpartition("@")
    if not at or not local or len(address) > MAX_ADDRESS or "." not in domain.strip("."):
        return False
    return address.isascii() and not any(c.isspace() or c in '<>,;"()[]\\' for c in address)


def message(
    settings: MailSettings, to: str, subject: str, text: str, html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:  # fmt: skip
    """The message as it is sent: plain text, with `html` as its alternative if given."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = settings.sender, to, subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].rpartition("@")[2])
    for name, value in (headers or {}).items():
        del mail[name]
        mail[name] = value
    mail.set_content(text)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    return mail


class Mailer:
    """Sends mail with the node's SMTP settings; one connection per `send`."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    def send(
        self, to: str, subject: str, text: str, html: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:  # fmt: skip
        """Send one message to `to`; raises `MailNotSent` or `MailUncertain`."""
        mail = message(self.settings, to, subject, text, html, headers)
        try:
            smtp = self._connected()
        except (smtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"cannot reach {self.settings.host}: {_said(error)}") from None
        try:
            self._log_in(smtp)
            self._hand_over(smtp, mail)
        finally:
            _quit(smtp)

    def _connected(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "ssl":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=context)
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)
        if s.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _log_in(self, smtp: smtplib.SMTP) -> None:
        if self.settings.username is None:
            return
        try:
            smtp.login(self.settings.username, self.settings.password or "")
        except (smtplib.SMTPException, OSError) as error:
            raise MailNotSent(f"login refused: {_said(error)}") from None

    def _hand_over(self, smtp: smtplib.SMTP, mail: EmailMessage) -> None:
        """MAIL, RCPT, then DATA: a failure before DATA's body was sent is certain; a
        broken connection while its answer is awaited is not."""
        sender, to = parseaddr(self.settings.sender)[1], parseaddr(str(mail["To"]))[1]
        try:
            smtp.ehlo_or_helo_if_needed()
            _accepted(smtp, smtp.mail(sender), (250,))
            _accepted(smtp, smtp.rcpt(to), (250, 251))
        except (smtplib.SMTPException, OSError) as error:
            raise MailNotSent(_said(error)) from None
        try:
            code, said = smtp.data(mail.as_bytes(policy=policy.SMTP))
        except smtplib.SMTPResponseException as error:
            raise MailNotSent(_said(error), error.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as error:
            raise MailUncertain(_said(error)) from None
        if code != 250:
            raise MailNotSent(f"{code} {said.decode(errors='replace')}", code >= 500)


def _accepted(smtp: smtplib.SMTP, answer: tuple[int, bytes], codes: tuple[int, ...]) -> None:
    code, said = answer
    if code not in codes:
        smtp.rset()
        raise MailNotSent(f"{code} {said.decode(errors='replace')}", code >= 500)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; what the server answers no longer matters."""
    with suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _said(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:200]
