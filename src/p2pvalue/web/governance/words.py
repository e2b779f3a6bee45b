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
from p2pvalue.web.value.pages import money

METHOD_NAMES = {
    "majority": "majority vote",
    "consent": "consent: passes unless someone blocks",
    "lazy_consensus": "lazy consensus: passes unless someone objects (-1) with a reason",
    "approval": "approval voting",
    "score": "score voting",
    "borda": "Borda count",
    "schulze": "Schulze method",
    "irv": "instant runoff",
    "stv": "single transferable vote",
    "dot": "dot voting",
    "equal_shares": "method of equal shares",
    "quadratic": "quadratic voting",
    "meeting": "a meeting-time poll: the time the most can come to",
}
RANKED = ("borda", "schulze", "irv", "stv")
FIGURE_NAMES = {
    "cast": "weight cast", "eligible": "eligible weight", "participation": "participation",
    "support": "support: yes / (yes + no + block)", "threshold": "threshold to exceed",
    "quorum": "quorum", "veto_override": "override line for a block", "valid": "ranked ballots",
    "ballots": "ballots", "quota": "Droop quota", "seats": "seats", "budget": "budget",
    "spent": "spent", "left": "left", "share": "each voter's share of the budget",
    "approvals": "approvals", "totals": "total score", "averages": "average score",
    "net_votes": "net votes", "credits_spent": "credits spent", "dots": "dots",
    "scores": "Borda score", "rho": "price per supporter (rho)", "max_payment": "largest payment",
    "d": "pairwise preferences", "p": "strongest paths",
}  # fmt: skip


def who_votes(voters: str) -> str:
    return "every member" if voters == EVERYONE else f"members holding the role {voters}"


def method_words(policy: DecisionPolicy) -> str:
    """The method and the parameters it reads, in words."""
    name = METHOD_NAMES.get(policy.method) or str(policy.method)
    extra = {
        "score": f" (0 to {policy.score_max})",
        "stv": f" for {policy.seats} seat{'s' if policy.seats > 1 else ''}",
        "dot": f" ({policy.dots} dots each, budget {policy.budget})",
        "equal_shares": f" (budget {policy.budget})",
        "quadratic": f" ({policy.credits} credits each; n votes cost n²)",
        "approval": f" (at most {policy.max_approvals} approvals)" if policy.max_approvals else "",
    }.get(policy.method, "")
    return name + extra


def policy_words(policy: DecisionPolicy) -> list[str]:
    """A decision policy as a list of plain sentences, one per rule it sets."""
    weight = "one member, one vote"
    if policy.weight == "reputation":
        cap = f", no one above {policy.weight_cap} of the weight" if policy.weight_cap else ""
        weight = f"votes weighed by reputation{cap}"
    hours = policy.window_hours
    window = f"Voting is open for {hours} hour{'s' if hours != 1 else ''}"
    if policy.window_hours % 24 == 0:
        window += f" ({policy.window_hours // 24} days)"
    lines = [
        f"Decided by {method_words(policy)}.",
        f"Who votes: {who_votes(policy.voters)}; who proposes: {who_votes(policy.proposers)}.",
        f"Weights: {weight}.",
        f"Quorum: {'none' if policy.quorum == '0' else policy.quorum + ' of the eligible weight'}.",
    ]
    if policy.method == "majority":
        lines.append(_threshold_words(policy))
    lines.append(window + (", closing early once the outcome is settled." if policy.early_close
                           else "."))  # fmt: skip
    lines.append(_reminder_words(policy))
    if policy.close_when_all_voted:
        lines.append("Any member may close it as soon as every eligible voter has voted.")
    lines.append(_veto_words(policy))
    if policy.secret:
        lines.append(f"Secret ballot: sealed until voting ends, then revealed within "
                     f"{policy.reveal_hours} hours.")  # fmt: skip
    if policy.review_days:
        lines.append(f"Reviewed {policy.review_days} days after it is enacted.")
    lines.append("Members may delegate their vote." if policy.delegation else "No delegation.")
    lines.append(f"Ties are broken by the {policy.tie_break.replace('_', ' ')} rule.")
    return [line for line in lines if line]


def _reminder_words(policy: DecisionPolicy) -> str:
    """When members who have not voted are reminded, or nothing when they are not."""
    hours = remind_period_ms(policy) // HOUR_MS
    if hours == 0:
        return ""
    plural = "s" if hours != 1 else ""
    return f"Members who have not voted are reminded {hours} hour{plural} before it closes."


def _threshold_words(policy: DecisionPolicy) -> str:
    """When a majority passes: over a share of the votes for and against, or of everyone
    eligible, so that not voting counts against."""
    if threshold_basis(policy) == "cast":
        return f"Passes with support over {policy.threshold}."
    whom = "eligible members" if policy.weight == "equal" else "eligible weight"
    percent = fraction(policy.threshold) * 100
    shown = f" ({percent} %)" if percent.denominator == 1 else ""
    return f"Passes when more than {policy.threshold}{shown} of the {whom} vote yes."


def _veto_words(policy: DecisionPolicy) -> str:
    if not (policy.veto or policy.method in ("consent", "lazy_consensus")):
        return "No veto." if policy.method == "majority" else ""
    override = policy.veto_override
    tail = f"unless support exceeds {override}" if override else "with no override"
    return f"A reasoned block (veto) rejects it, {tail}."


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
        return f"Spend {money(action['amount'], action['currency'])} to {action['to']}."
    if kind == "contribution.resolve":
        verdict = "accept" if action["accept"] else "reject"
        return f"Settle the disputed claim {action['claim']}: {verdict} it."
    return {
        "text": "A decision in words: the text above.",
        "charter.amend": "Amend the charter (the change is shown below).",
        "value.equation": "Change the value equation (its effect is shown below).",
        "role.grant": f"Grant the role {role} to {member}.",
        "role.revoke": f"Revoke the role {role} from {member}.",
        "member.admit": f"Admit {member} as a member.",
        "member.remove": f"Remove {member} from the space.",
        "election": f"Elect members to the role {role} from the candidates.",
    }.get(kind, kind)


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
        name = FIGURE_NAMES.get(key, key.replace("_", " "))
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
            laid.scalars.append((name, ", ".join(label(str(v)) for v in value) or "none"))
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
        parts.append("elected " + ", ".join(label(o) for o in record["elected"]))
    if record.get("eliminated"):
        parts.append(f"eliminated {label(record['eliminated'])}")
    if record.get("tied"):
        parts.append("tie among " + ", ".join(label(o) for o in record["tied"]))
    if record.get("exhausted") not in (None, 0, "0/1"):
        parts.append(f"exhausted {number(record['exhausted'])}")
    return f"Round {position}: " + "; ".join(p for p in parts if p)


def ballot_words(
    ballot: Mapping[str, Any], options: Sequence[Option], names: Mapping[str, str]
) -> str:
    """A ballot as the voter would say it."""

    def label(option_id: str) -> str:
        return label_of(option_id, options, names)

    if "choice" in ballot:
        reason = ballot.get("reason") or ""
        return str(ballot["choice"]) + (f" (“{reason}”)" if reason else "")
    if "approve" in ballot:
        return "approve " + (", ".join(label(o) for o in ballot["approve"]) or "nothing")
    if "ranking" in ballot:
        return "ranking " + (" > ".join(label(o) for o in ballot["ranking"]) or "nothing")
    if "availability" in ballot:
        marks = ballot["availability"].items()
        shown = ", ".join(f"{label(o)} {m.replace('_', ' ')}" for o, m in marks)
        return f"available: {shown or 'no time'}"
    for key in ("scores", "dots", "votes"):
        if key in ballot:
            shown = ", ".join(f"{label(o)} {n}" for o, n in ballot[key].items())
            return f"{key} {shown or 'none'}"
    return orjson.dumps(dict(ballot)).decode()
