"""How the domains word messages meant for members so that the pages can translate them:
`N_` marks an English message to translate where it is shown, and a `Wording` is the
function that words one (`web.i18n.gettext` on a page, `english` elsewhere)."""

from __future__ import annotations

from typing import Any, Protocol


class Wording(Protocol):
    """Words a message, its `%(name)s` placeholders filled."""

    def __call__(self, message: str, **variables: Any) -> str: ...


def english(message: str, **variables: Any) -> str:
    """A message as written, placeholders filled: the API's and mail's words."""
    return message % variables if variables else message


def N_(message: str) -> str:
    """Marks a message meant for members, to be translated where a page shows it (the
    domains word in English; the web translates at render time)."""
    return message
