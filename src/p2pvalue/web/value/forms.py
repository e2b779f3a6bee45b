"""The value forms read as a member fills them in: a claim (co-authors by username, shares
in percent), a review, income and a payout amount in currency units. What does not fit is
said next to its field in a member's words, and what was typed is kept to show again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from p2pvalue.accounting.money import CURRENCY_EXPONENTS, format_amount, parse_amount, parse_share
from p2pvalue.accounting.refusals import VALUE_REFUSALS
from p2pvalue.accounting.types import FULL_SHARE
from p2pvalue.errors import P2PError
from p2pvalue.web.i18n import N_, gettext

MAX_DESCRIPTION = 4000
MAX_QUANTITY = 100_000
MAX_EVIDENCE = 50
MAX_EVIDENCE_LINE = 2000
MAX_MONEY = 2**53 - 1
# Where a refusal of the node belongs on the form that caused it.
CLAIM_FIELDS = {"unknown_kind": "kind", "evidence_already_claimed": "evidence",
                "co_contributor_not_a_member": "co_member-1",
                "claimant_not_a_contributor": "my_share"}  # fmt: skip
Errors = dict[str, str]


def sentence(text: str) -> str:
    """A refusal as a sentence: capitalised, with a full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def refusal(code: str, message: str) -> str:
    """A refusal of the node in a member's words: the domain's meaning of its code."""
    meaning = VALUE_REFUSALS.get(code)
    return sentence(gettext(meaning) if meaning else message)


@dataclass
class ClaimForm:
    """The claim form as typed: co-authors by username, each with a share in percent."""

    kind: str = ""
    description: str = ""
    quantity: str = ""
    unit: str = "hours"
    project: str = ""
    evidence: str = ""
    my_share: str = "100"
    co_members: list[str] = field(default_factory=list)
    co_shares: list[str] = field(default_factory=list)

    def co_member(self, row: int) -> str:
        return self.co_members[row - 1] if row <= len(self.co_members) else ""

    def co_share(self, row: int) -> str:
        return self.co_shares[row - 1] if row <= len(self.co_shares) else ""

    def content(
        self, me: str, members: Mapping[str, str], kinds: list[str]
    ) -> tuple[dict[str, Any] | None, Errors]:
        """The claim's content, or the field errors; `members` maps the usernames (and dids)
        of the space's other members to their dids."""
        errors: Errors = {}
        content: dict[str, Any] = {"kind": self.kind, "unit": self.unit,
                                   "description": self.description.strip()}  # fmt: skip
        if self.kind not in kinds:
            errors["kind"] = gettext("Pick one of the kinds of work this space counts.")
        if not content["description"]:
            errors["description"] = gettext("Say what you did, in a sentence or two.")
        elif len(content["description"]) > MAX_DESCRIPTION:
            errors["description"] = gettext(
                "Keep it under %(most)s characters (this is %(count)s).",
                most=MAX_DESCRIPTION, count=len(content["description"]))  # fmt: skip
        if self.unit not in ("hours", "units"):
            errors["unit"] = gettext("Count the work in hours or in units.")
        content["quantity"] = _quantity(self.quantity, self.unit, errors)
        content["evidence"] = _evidence(self.evidence, errors)
        if self.project.strip():
            content["project"] = self.project.strip()[:200]
        contributors = self._contributors(me, members, errors)
        if contributors:
            content["contributors"] = contributors
        return (None, errors) if errors else (content, errors)

    def _contributors(
        self, me: str, members: Mapping[str, str], errors: Errors
    ) -> list[dict[str, Any]]:
        """The shares in basis points: none (the claimant holds it all) unless a co-author
        is named or the claimant's own share is not 100 %."""
        chosen: list[tuple[str, int]] = []
        for row, (name, share) in enumerate(
            zip(self.co_members, self.co_shares, strict=False), start=1
        ):
            name = name.strip().removeprefix("@")
            if not name and not share.strip():
                continue
            did = _co_author(name, row, members, me, chosen, errors)
            missing = gettext("Give the share of %(name)s in percent, like 40.",
                              name=name[:40]) if name else ""  # fmt: skip
            points = _share(share, f"co_share-{row}", errors, missing)
            if did is not None and points is not None:
                chosen.append((did, points))
        mine = _share(self.my_share or "100", "my_share", errors)
        if mine is None or (not chosen and mine == FULL_SHARE):
            return []
        total = mine + sum(points for _, points in chosen)
        if total != FULL_SHARE and not any(k.startswith(("co_", "my_")) for k in errors):
            shown = f"{total / 100:g}"
            errors["my_share"] = gettext("The shares add up to %(total)s %%; they must add "
                                         "up to 100 %%.", total=shown)  # fmt: skip
        return [{"member": did, "share": points} for did, points in [(me, mine), *chosen]]


def _quantity(text: str, unit: str, errors: Errors) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_QUANTITY:
        said = (
            N_("Give the hours as a whole number from 1 to %(most)s, like 3.")
            if unit == "hours"
            else N_("Give the units as a whole number from 1 to %(most)s, like 3.")
        )
        errors["quantity"] = gettext(said, most=MAX_QUANTITY)  # fmt: skip
        return 0
    return int(text)


def _evidence(text: str, errors: Errors) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_EVIDENCE:
        errors["evidence"] = gettext(
            "Give at most %(most)s links or commits (%(count)s here).",
            most=MAX_EVIDENCE,
            count=len(lines),
        )
    elif any(len(line) > MAX_EVIDENCE_LINE for line in lines):
        errors["evidence"] = gettext(
            "Each link or commit fits in %(most)s characters.", most=MAX_EVIDENCE_LINE
        )
    return lines


def _co_author(
    name: str, row: int, members: Mapping[str, str], me: str, chosen: list[tuple[str, int]],
    errors: Errors,
) -> str | None:  # fmt: skip
    """The did of the co-author named in `row`, or None with the reason in `errors`."""
    key = f"co_member-{row}"
    did = members.get(name)
    if not name:
        errors[key] = gettext("Name the co-author who holds this share, by username.")
    elif did == me:
        errors[key] = gettext("That is you: put your own share in “Your share”.")
    elif did is None:
        errors[key] = gettext("Nobody called “%(name)s” is a member of this space.", name=name[:40])
    elif any(did == other for other, _ in chosen):
        errors[key] = gettext("“%(name)s” is named twice.", name=name[:40])
    else:
        return did
    return None


def _share(text: str, key: str, errors: Errors, missing: str = "") -> int | None:
    if not text.strip():
        errors[key] = missing or gettext("Give a share in percent, like 40.")
        return None
    try:
        points = parse_share(text.strip().removesuffix("%").strip())
    except P2PError:
        errors[key] = gettext("Write a share as a percentage, like 25 or 33.33.")
        return None
    if not 0 < points <= FULL_SHARE:
        errors[key] = gettext("A share is more than 0 % and at most 100 %.")
        return None
    return points


def read_currency(text: str, errors: Errors, key: str = "currency") -> str:
    """A currency code as typed ('eur' is EUR); unknown ones are said in `errors`."""
    code = text.strip().upper()
    if code not in CURRENCY_EXPONENTS:
        errors[key] = gettext(
            "“%(code)s” is not a currency this node knows: use a "
            "three-letter code like EUR or USD.",
            code=text.strip()[:12],
        )
    return code


def read_amount(text: str, currency: str, errors: Errors, key: str = "amount") -> int:
    """An amount typed in currency units ('12.50') as minor units; a problem goes to
    `errors[key]` (nothing is said when the currency itself is unknown)."""
    exponent = CURRENCY_EXPONENTS.get(currency)
    if exponent is None:
        return 0
    example = format_amount(1250 * 10 ** max(exponent - 2, 0), currency).split()[0]
    try:
        minor = parse_amount(text.strip().replace(",", "."), currency)
    except P2PError as error:
        if error.code == "too_many_decimals" and exponent == 0:
            errors[key] = gettext(
                "%(currency)s amounts are whole numbers, like %(example)s.",
                currency=currency,
                example=example,
            )
        elif error.code == "too_many_decimals":
            errors[key] = gettext(
                "%(currency)s amounts have at most %(decimals)s decimals, like %(example)s.",
                currency=currency,
                decimals=exponent,
                example=example,
            )
        else:
            errors[key] = gettext(
                "Write the amount as a number, like %(example)s.", example=example
            )
        return 0
    if not 0 < minor <= MAX_MONEY:
        errors[key] = gettext("The amount must be more than 0.")
    return minor


def short_of(balance: int, currency: str, earmark: str | None) -> str:
    """Why a payout cannot be made: there is not that much to pay out."""
    amount = format_amount(balance, currency)
    if earmark:
        return gettext(
            "There is only %(amount)s earmarked for %(earmark)s to pay out.",
            amount=amount,
            earmark=earmark,
        )
    return gettext("There is only %(amount)s without an earmark to pay out.", amount=amount)
