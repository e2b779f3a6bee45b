"""Governance put in words for the pages: a decision policy, a proposal's action, a change
between two charters, and a count's figures laid out per option."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import orjson

from p2pvalue.governance.methods import Option
from p2pvalue.governance.proposals import HOUR_MS
from p2pvalue.governance.reminders import remind_period_ms
from p2pvalue.governance.types import EVERYONE, DecisionPolicy, fraction, threshold_basis
from p2pvalue.web.i18n import N_, gettext, ngettext
from p2pvalue.web.value.pages import money

METHOD_NAMES = {
    "majority": N_("majority vote"),
    "consent": N_("consent: passes unless someone blocks"),
    "lazy_consensus": N_("lazy consensus: passes unless someone objects (-1) with a reason"),
    "approval": N_("approval voting"),
    "score": N_("score voting"),
    "borda": N_("Borda count"),
    "schulze": N_("Schulze method"),
    "irv": N_("instant runoff"),
    "stv": N_("single transferable vote"),
    "dot": N_("dot voting"),
    "equal_shares": N_("method of equal shares"),
    "quadratic": N_("quadratic voting"),
    "meeting": N_("a meeting-time poll: the time the most can come to"),
}
RANKED = ("borda", "schulze", "irv", "stv")
BALLOT_KEYS = {"scores": N_("scores %(options)s"), "dots": N_("dots %(options)s"),
               "votes": N_("votes %(options)s")}  # fmt: skip
# Words read from ballots and policies, marked here to be translated where they are shown.
SHOWN_WORDS = (N_("yes"), N_("no"), N_("abstain"), N_("block"), N_("if need be"),
               N_("status quo"), N_("lexicographic"), N_("seeded"))  # fmt: skip
FIGURE_NAMES = {
    "cast": N_("votes cast (each counted by its weight)"),
    "eligible": N_("votes that could be cast"),
    "participation": N_("participation"),
    "support": N_("support: yes / (yes + no + block)"),
    "threshold": N_("threshold to exceed"),
    "quorum": N_("quorum"),
    "veto_override": N_("override line for a block"),
    "valid": N_("ranked ballots"),
    "ballots": N_("ballots"),
    "quota": N_("Droop quota"),
    "seats": N_("seats"),
    "budget": N_("budget"),
    "spent": N_("spent"),
    "left": N_("left"),
    "share": N_("each voter's share of the budget"),
    "approvals": N_("approvals"),
    "totals": N_("total score"),
    "averages": N_("average score"),
    "net_votes": N_("net votes"),
    "credits_spent": N_("credits spent"),
    "dots": N_("dots"),
    "scores": N_("Borda score"),
    "rho": N_("price per supporter (rho)"),
    "max_payment": N_("largest payment"),
    "d": N_("pairwise preferences"),
    "p": N_("strongest paths"),
}


def who_votes(voters: str) -> str:
    if voters == EVERYONE:
        return gettext("every member")
    return gettext("members holding the role %(role)s", role=voters)


def method_words(policy: DecisionPolicy) -> str:
    """The method and the parameters it reads, in words."""
    known = METHOD_NAMES.get(policy.method)
    name = gettext(known) if known else str(policy.method)
    p, method = policy, policy.method
    if method == "score":
        return gettext("%(method)s (0 to %(top)s)", method=name, top=p.score_max)
    if method == "stv":
        return ngettext("%(method)s for %(num)d seat", "%(method)s for %(num)d seats", p.seats,
                        method=name)  # fmt: skip
    if method == "dot":
        return gettext("%(method)s (%(dots)s dots each, budget %(budget)s)", method=name,
                       dots=p.dots, budget=p.budget)  # fmt: skip
    if method == "equal_shares":
        return gettext("%(method)s (budget %(budget)s)", method=name, budget=p.budget)
    if method == "quadratic":
        return gettext("%(method)s (%(credits)s credits each; n votes cost n²)", method=name,
                       credits=p.credits)  # fmt: skip
    if method == "approval" and p.max_approvals:
        return gettext("%(method)s (at most %(most)s approvals)", method=name,
                       most=p.max_approvals)  # fmt: skip
    return name


def _weight_words(policy: DecisionPolicy) -> str:
    if policy.weight != "reputation":
        return gettext("Weights: one member, one vote.")
    if policy.weight_cap:
        return gettext("Weights: votes weighed by reputation, no one above %(cap)s of the "
                       "weight.", cap=policy.weight_cap)  # fmt: skip
    return gettext("Weights: votes weighed by reputation.")


def _quorum_words(policy: DecisionPolicy) -> str:
    if policy.quorum == "0":
        return gettext("Quorum: none.")
    return gettext("Quorum: %(quorum)s of the eligible weight.", quorum=policy.quorum)


def _days(days: int) -> str:
    return ngettext("%(num)d day", "%(num)d days", days)


def _window_words(policy: DecisionPolicy) -> str:
    hours, early = policy.window_hours, policy.early_close
    if hours % 24 == 0 and early:
        return ngettext("Voting is open for %(num)d hour (%(days)s), closing early once "
                        "the outcome is settled.", "Voting is open for %(num)d hours "
                        "(%(days)s), closing early once the outcome is settled.", hours,
                        days=_days(hours // 24))  # fmt: skip
    if hours % 24 == 0:
        return ngettext("Voting is open for %(num)d hour (%(days)s).",
                        "Voting is open for %(num)d hours (%(days)s).", hours,
                        days=_days(hours // 24))  # fmt: skip
    if early:
        return ngettext("Voting is open for %(num)d hour, closing early once the outcome is "
                        "settled.", "Voting is open for %(num)d hours, closing early once the "
                        "outcome is settled.", hours)  # fmt: skip
    return ngettext("Voting is open for %(num)d hour.", "Voting is open for %(num)d hours.", hours)


def policy_words(policy: DecisionPolicy) -> list[str]:
    """A decision policy as a list of plain sentences, one per rule it sets."""
    lines = [
        gettext("Decided by %(method)s.", method=method_words(policy)),
        gettext("Who votes: %(voters)s; who proposes: %(proposers)s.",
                voters=who_votes(policy.voters), proposers=who_votes(policy.proposers)),
        _weight_words(policy),
        _quorum_words(policy),
    ]  # fmt: skip
    if policy.method == "majority":
        lines.append(_threshold_words(policy))
    lines.append(_window_words(policy))
    lines.append(_reminder_words(policy))
    if policy.close_when_all_voted:
        lines.append(gettext("Any member may close it as soon as every eligible voter has voted."))
    lines.append(_veto_words(policy))
    if policy.secret:
        lines.append(gettext("Secret ballot: sealed until voting ends, then revealed within "
                             "%(hours)s hours.", hours=policy.reveal_hours))  # fmt: skip
    if policy.review_days:
        lines.append(gettext("Reviewed %(days)s days after it is enacted.",
                             days=policy.review_days))  # fmt: skip
    lines.append(gettext("Members may delegate their vote.") if policy.delegation
                 else gettext("No delegation."))  # fmt: skip
    lines.append(gettext("Ties are broken by the %(rule)s rule.",
                         rule=gettext(policy.tie_break.replace("_", " "))))  # fmt: skip
    return [line for line in lines if line]


def _reminder_words(policy: DecisionPolicy) -> str:
    """When members who have not voted are reminded, or nothing when they are not."""
    hours = remind_period_ms(policy) // HOUR_MS
    if hours == 0:
        return ""
    return ngettext("Members who have not voted are reminded %(num)d hour before it closes.",
                    "Members who have not voted are reminded %(num)d hours before it closes.",
                    hours)  # fmt: skip


def _threshold_words(policy: DecisionPolicy) -> str:
    """When a majority passes: over a share of the votes for and against, or of everyone
    eligible, so that not voting counts against."""
    if threshold_basis(policy) == "cast":
        return gettext("Passes with support over %(threshold)s.", threshold=policy.threshold)
    percent = fraction(policy.threshold) * 100
    share = policy.threshold
    if percent.denominator == 1:
        share = gettext("%(threshold)s (%(percent)s %%)", threshold=share, percent=percent)
    if policy.weight == "equal":
        return gettext("Passes when more than %(share)s of the eligible members vote yes.",
                       share=share)  # fmt: skip
    return gettext("Passes when more than %(share)s of the eligible weight vote yes.", share=share)


def _veto_words(policy: DecisionPolicy) -> str:
    if not (policy.veto or policy.method in ("consent", "lazy_consensus")):
        return gettext("No veto.") if policy.method == "majority" else ""
    if policy.veto_override:
        return gettext("A reasoned block (veto) rejects it, unless support exceeds "
                       "%(override)s.", override=policy.veto_override)  # fmt: skip
    return gettext("A reasoned block (veto) rejects it, with no override.")


def label_of(option_id: str, options: Sequence[Option], names: Mapping[str, str]) -> str:
    """What to call an option: its label, the candidate's name, or its id."""
    found = next((o for o in options if o.id == option_id), None)
    return (found.label if found else "") or names.get(option_id) or option_id


def with_labels(text: str, options: Sequence[Option], names: Mapping[str, str]) -> str:
    """`text` (a count's reason) with each option id replaced by what the page calls it."""
    if not options:
        return text
    ids = "|".join(re.escape(o.id) for o in sorted(options, key=lambda o: -len(o.id)))
    pattern = re.compile(rf"(?<![\w-])(?:{ids})(?![\w-])")
    return pattern.sub(lambda found: label_of(found.group(0), options, names), text)


def number(value: object) -> str:
    """A figure as text: whole fractions ("3/1") as whole numbers."""
    shown = str(value)
    return shown.removesuffix("/1") if re.fullmatch(r"-?\d+/1", shown) else shown


def action_words(action: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """What a passed proposal would do, in one sentence."""
    kind: str = action["type"]
    member = names.get(action.get("member") or "") or action.get("member") or ""
    role = action.get("role") or ""
    if kind == "treasury.spend":
        amount = money(action["amount"], action["currency"])
        return gettext("Spend %(amount)s to %(to)s.", amount=amount, to=action["to"])
    if kind == "contribution.resolve":
        if action["accept"]:
            return gettext("Settle the disputed claim %(claim)s: accept it.", claim=action["claim"])
        return gettext("Settle the disputed claim %(claim)s: reject it.", claim=action["claim"])
    said = {
        "text": lambda: gettext("A decision in words: the text above."),
        "charter.amend": lambda: gettext("Amend the charter (the change is shown below)."),
        "value.equation": lambda: gettext("Change the value equation (its effect is shown "
                                          "below)."),
        "role.grant": lambda: gettext("Grant the role %(role)s to %(member)s.", role=role,
                                      member=member),
        "role.revoke": lambda: gettext("Revoke the role %(role)s from %(member)s.", role=role,
                                       member=member),
        "member.admit": lambda: gettext("Admit %(member)s as a member.", member=member),
        "member.remove": lambda: gettext("Remove %(member)s from the space.", member=member),
        "election": lambda: gettext("Elect members to the role %(role)s from the candidates.",
                                    role=role),
    }.get(kind)  # fmt: skip
    return said() if said else kind


@dataclass(frozen=True)
class Change:
    """One difference between two JSON documents: where, and the value before and after
    (None where the key is absent)."""

    path: str
    before: str | None
    after: str | None


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, Mapping) and value:
        found: dict[str, str] = {}
        for key, inner in value.items():
            found |= _flat(inner, f"{prefix}.{key}" if prefix else str(key))
        return found
    shown = value if isinstance(value, str) else orjson.dumps(value).decode()
    return {prefix or "(whole document)": shown}


def json_diff(before: Any, after: Any) -> list[Change]:
    """Every leaf that differs between `before` and `after` (lists count as leaves), by path."""
    old, new = _flat(before), _flat(after)
    return [
        Change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


@dataclass
class Figures:
    """A count's figures laid out for a page: single values, columns per option, STV / IRV
    rounds and pairwise matrices."""

    scalars: list[tuple[str, str]] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[str, list[str]]] = field(default_factory=list)
    rounds: list[str] = field(default_factory=list)
    matrices: list[tuple[str, list[str], list[tuple[str, list[str]]]]] = field(default_factory=list)


def figures_of(
    figures: Mapping[str, Any], options: Sequence[Option], names: Mapping[str, str]
) -> Figures:
    """`figures` from a tally, with option ids shown by their labels."""
    ids = [o.id for o in options]

    def label(option_id: str) -> str:
        return label_of(option_id, options, names)

    laid = Figures()
    per_option: dict[str, Mapping[str, Any]] = {}
    for key, value in figures.items():
        known = FIGURE_NAMES.get(key)
        name = gettext(known) if known else key.replace("_", " ")
        if key == "rounds":
            laid.rounds = [_round(n, r, label) for n, r in enumerate(value, 1)]
        elif isinstance(value, Mapping) and value and all(k in ids for k in value):
            if all(isinstance(v, Mapping) for v in value.values()):
                rows = [(label(a), [number(value[a].get(b, "—")) for b in ids]) for a in ids]
                laid.matrices.append((name, [label(i) for i in ids], rows))
            else:
                per_option[name] = value
        elif isinstance(value, Mapping):
            shown = ", ".join(f"{names.get(k) or label(k)} {number(v)}" for k, v in value.items())
            laid.scalars.append((name, shown or "—"))
        elif isinstance(value, list):
            shown = ", ".join(label(str(v)) for v in value)
            laid.scalars.append((name, shown or gettext("none")))
        else:
            laid.scalars.append((name, number(value)))
    laid.columns = list(per_option)
    laid.rows = [(label(i), [number(col.get(i, "—")) for col in per_option.values()]) for i in ids]
    if not per_option:
        laid.rows = []
    return laid


def _round(position: int, record: Mapping[str, Any], label: Callable[[str], str]) -> str:
    counts = record.get("tallies") or record.get("counts") or {}
    most_first = sorted(counts.items(), key=lambda item: (-Fraction(str(item[1])), label(item[0])))
    parts = [", ".join(f"{label(o)} {number(v)}" for o, v in most_first)]
    if record.get("elected"):
        elected = ", ".join(label(o) for o in record["elected"])
        parts.append(gettext("elected %(names)s", names=elected))
    if record.get("eliminated"):
        parts.append(gettext("eliminated %(name)s", name=label(record["eliminated"])))
    if record.get("tied"):
        tied = ", ".join(label(o) for o in record["tied"])
        parts.append(gettext("tie among %(names)s", names=tied))
    if record.get("exhausted") not in (None, 0, "0/1"):
        parts.append(gettext("exhausted %(count)s", count=number(record["exhausted"])))
    said = "; ".join(p for p in parts if p)
    return gettext("Round %(position)s: %(said)s", position=position, said=said)


def ballot_words(
    ballot: Mapping[str, Any], options: Sequence[Option], names: Mapping[str, str]
) -> str:
    """A ballot as the voter would say it."""

    def label(option_id: str) -> str:
        return label_of(option_id, options, names)

    if "choice" in ballot:
        reason, choice = ballot.get("reason") or "", gettext(str(ballot["choice"]))
        return (
            gettext("%(choice)s (“%(reason)s”)", choice=choice, reason=reason) if reason else choice
        )
    if "approve" in ballot:
        approved = ", ".join(label(o) for o in ballot["approve"]) or gettext("nothing")
        return gettext("approve %(options)s", options=approved)
    if "ranking" in ballot:
        ranked = " > ".join(label(o) for o in ballot["ranking"]) or gettext("nothing")
        return gettext("ranking %(options)s", options=ranked)
    if "availability" in ballot:
        marks = ballot["availability"].items()
        shown = ", ".join(f"{label(o)} {gettext(m.replace('_', ' '))}" for o, m in marks)
        return gettext("available: %(times)s", times=shown or gettext("no time"))
    for key, said in BALLOT_KEYS.items():
        if key in ballot:
            shown = ", ".join(f"{label(o)} {n}" for o, n in ballot[key].items())
            return gettext(said, options=shown or gettext("none"))
    return orjson.dumps(dict(ballot)).decode()
