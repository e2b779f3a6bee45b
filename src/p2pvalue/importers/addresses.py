"""A member claims the work imported under an e-mail address by proving they read its mail.

The member asks; the node mails the address a link carrying a token it signed with its own
key (the space, the member, the address's alias and an expiry: never the address itself, so
nothing in the link or the log reveals it). Following the link while logged in as that
member writes two events: the member's own `alias.claim` ("this address is mine", signed by
them), then an `alias.confirm` with `"proof": "email"` signed by an account of this node the
charter allows to confirm aliases (the space's timekeeper first): its word that the address
answered. Other nodes cannot read the mail, so what they verify is that attestation: the
signature and the signer's right, as for an admin's confirmation. A link is single-use by
construction: once the alias is the member's, every link for it is spent.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import P2PError
from p2pvalue.events.authority import Authority, timekeepers
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair, verify
from p2pvalue.ingest import Outcome
from p2pvalue.mail import Mailer, MailNotSent, MailUncertain, is_address

PURPOSE = "p2pvalue-address-claim"
LINK_HOURS = 48
HOUR_MS = 3600 * 1000
CONFIRM = "alias.confirm"


@dataclass(frozen=True)
class AddressClaim:
    """What a link promises: `member` may take `alias`'s history in `space` until `expires`."""

    space: str
    member: str
    alias: str
    expires: int


def sign_link(key: KeyPair, claim: AddressClaim) -> str:
    """The token of a link: the claim and the node's signature of it, URL-safe."""
    payload = orjson.dumps([PURPOSE, claim.space, claim.member, claim.alias, claim.expires])
    return f"{b64u(payload)}.{b64u(key.sign(payload))}"


def read_link(key: KeyPair, token: str, now: int) -> AddressClaim:
    """The claim a token carries, if this node signed it and it has not expired;
    `forged_link` (400) or `link_expired` (410) otherwise."""
    forged = P2PError("forged_link", "this link was not made by this node, or was cut short", 400)
    payload_text, _, signature_text = token.partition(".")
    try:
        payload, signature = unb64u(payload_text), unb64u(signature_text)
        valid = verify(key.did, payload, signature)
        purpose, space, member, alias, expires = orjson.loads(payload) if valid else [None] * 5
    except (ValueError, TypeError):
        raise forged from None
    if not valid or purpose != PURPOSE or not isinstance(expires, int):
        raise forged
    if expires <= now:
        raise P2PError("link_expired", "this link has expired: ask for a new one", 410)
    return AddressClaim(str(space), str(member), str(alias), expires)


def attestor(wiring: Wiring, state: Authority) -> Account | None:
    """The account of this node that confirms an address it verified: the space's first
    timekeeper here whose roles allow `alias.confirm`, else any such member."""
    keepers = sorted(timekeepers(state))
    others = sorted(did for did in state.members if did not in keepers)
    for did in (*keepers, *others):
        account = wiring.accounts.by_did(did)
        if account and state.charter.allows(state.roles_of(did), CONFIRM):
            return account
    return None


def ask(wiring: Wiring, mailer: Mailer | None, account: Account, space: str, email: str) -> None:
    """Mail `email` a link by which `account` claims the work imported under it in `space`.

    Refused before anything is sent: `invalid_email` (422), `not_a_member` (403),
    `address_already_yours` or `alias_taken` (409), `no_attestor` (409: no account here may
    confirm addresses), `mail_not_configured` (503), `mail_not_sent` (502)."""
    address = email.strip()  # mailed as typed; its alias is of the lower-cased address
    if not is_address(address):
        raise P2PError("invalid_email", "this is not an e-mail address", 422)
    state = _state(wiring, space)
    if not state.is_member(account.did):
        raise P2PError("not_a_member", "only a member of the space can claim work in it", 403)
    alias = email_alias(address)
    _check_free(wiring, space, alias, account.did)
    if attestor(wiring, state) is None:
        message = "no one on this node may confirm addresses in this space"
        raise P2PError("no_attestor", message, 409)
    if mailer is None:
        raise P2PError("mail_not_configured", "this node sends no mail", 503)
    expires = wiring.clock() + LINK_HOURS * HOUR_MS
    token = sign_link(wiring.key, AddressClaim(space, account.did, alias, expires))
    _send(mailer, address, state.name, f"{wiring.config.pages_url}/addresses/claim?token={token}")


def confirm(wiring: Wiring, account: Account, token: str) -> Outcome:
    """Record that `account` holds the address a link was mailed to, and so the work and
    held payouts imported under it. `forged_link` (400), `wrong_account` (403),
    `link_expired` or `link_used` (410), `alias_taken` (409)."""
    claim = read_link(wiring.key, token, wiring.clock())
    if claim.member != account.did:
        message = "this link was sent to another member: log in as them to follow it"
        raise P2PError("wrong_account", message, 403)
    state = _state(wiring, claim.space)
    ledger = wiring.service(Value).ledger(claim.space)
    owner = ledger.aliases.get(claim.alias)
    if owner == account.did:
        raise P2PError("link_used", "this link was already followed: the work is yours", 410)
    _check_free(wiring, claim.space, claim.alias, account.did)
    signer = attestor(wiring, state)
    if signer is None:
        message = "no one on this node may confirm addresses in this space any more"
        raise P2PError("no_attestor", message, 409)
    if account.did not in ledger.alias_claims.get(claim.alias, set()):
        said = wiring.act(account, claim.space, "alias.claim", {"alias": claim.alias})
        if said.status != "accepted":
            return said
    content = {"member": account.did, "alias": claim.alias, "proof": "email"}
    return wiring.act(signer, claim.space, CONFIRM, content)


def _state(wiring: Wiring, space: str) -> Authority:
    log = wiring.writer.log(space)
    if log is None or log.authority is None:
        raise P2PError("unknown_space", f"no space {space!r} on this node", 404)
    return log.authority


def _check_free(wiring: Wiring, space: str, alias: str, member: str) -> None:
    owner = wiring.service(Value).ledger(space).aliases.get(alias)
    if owner == member:
        raise P2PError("address_already_yours", "the work under this address is yours", 409)
    if owner is not None:
        raise P2PError("alias_taken", "another member already holds this address", 409)


def _send(mailer: Mailer, to: str, space_name: str, link: str) -> None:
    text = (
        f"Someone asked to claim the work recorded under this address in {space_name}.\n\n"
        f"If it was you, open this link while logged in, within {LINK_HOURS} hours:\n\n"
        f"{link}\n\nIf it was not you, ignore this mail: nothing changes.\n"
    )
    try:
        mailer.send(to, f"Claim your past contributions in {space_name}", text)
    except (MailNotSent, MailUncertain) as failure:
        raise P2PError("mail_not_sent", f"the mail could not be sent: {failure}", 502) from None
