"""Ranked ballots out to the formats other election software reads, and back.

`to_preflib` writes PrefLib's ordinal format (https://www.preflib.org/format): a `# KEY: value`
header, then one `count: a,b,c` line per distinct order, most frequent first, alternatives
numbered from 1 in the proposal's order. The data type is `soc` (strict, complete) when every
ballot ranks every option, else `soi` (strict, incomplete); our ballots never hold ties, so
`toc`/`toi` never arise. The description, relation and date fields are left empty, so a file
depends on the title and ballots alone. `to_blt` writes the BLT format of STV counters
(OpenSTV/OpaVote, Droop): `candidates seats`, one `weight id ... 0` line per distinct
ranking, `0`, then the candidates' names and the title, each in double quotes.

Both merge identical rankings (a Cast's weight is a multiplicity), so a file depends only on
the multiset of ballots. Empty rankings and zero weights are left out: they rank nothing.
Names are option labels, or ids where a label is empty; the readers give candidates back by
position, so colliding labels still round-trip. A name cannot hold a line break (nor, in
BLT, a double quote): those are written as a space (a single quote).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from p2pvalue.governance.methods.base import Cast, Option

Ballot = tuple[tuple[int, ...], int]


@dataclass(frozen=True)
class RankedElection:
    """What a file holds: its title, the candidates' names in file order, each distinct
    ranking (0-based candidate positions, best first) with its count, and the seats (BLT
    only; None from PrefLib)."""

    title: str
    candidates: tuple[str, ...]
    ballots: tuple[Ballot, ...]
    seats: int | None = None


def merged_ballots(options: Sequence[Option], casts: Sequence[Cast]) -> list[Ballot]:
    """Each distinct non-empty ranking as option positions with its total weight, heaviest
    first (equal weights in ranking order). Ids outside `options` are skipped."""
    index = {option.id: n for n, option in enumerate(options)}
    counts: dict[tuple[int, ...], int] = {}
    for cast in casts:
        ranking = tuple(index[o] for o in cast.ballot.get("ranking", ()) if o in index)
        if ranking and cast.weight > 0:
            counts[ranking] = counts.get(ranking, 0) + cast.weight
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _name(option: Option) -> str:
    return " ".join((option.label or option.id).splitlines())


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "election"


def to_preflib(title: str, options: Sequence[Option], casts: Sequence[Cast]) -> str:
    """The ballots as a PrefLib ordinal file (`soc` or `soi`)."""
    ballots = merged_ballots(options, casts)
    complete = all(len(ranking) == len(options) for ranking, _ in ballots)
    kind = "soc" if complete else "soi"
    lines = [
        f"# FILE NAME: {_slug(title)}.{kind}", f"# TITLE: {' '.join(title.splitlines())}",
        "# DESCRIPTION:", f"# DATA TYPE: {kind}", "# MODIFICATION TYPE: original",
        "# RELATES TO:", "# RELATED FILES:", "# PUBLICATION DATE:", "# MODIFICATION DATE:",
        f"# NUMBER ALTERNATIVES: {len(options)}",
        f"# NUMBER VOTERS: {sum(count for _, count in ballots)}",
        f"# NUMBER UNIQUE ORDERS: {len(ballots)}",
    ]  # fmt: skip
    lines += [f"# ALTERNATIVE NAME {n}: {_name(o)}" for n, o in enumerate(options, 1)]
    lines += [f"{count}: {','.join(str(c + 1) for c in ranking)}" for ranking, count in ballots]
    return "\n".join(lines) + "\n"


def read_preflib(text: str) -> RankedElection:
    """A PrefLib ordinal file of strict orders (`soc`/`soi`); ties (`{...}`) are refused."""
    title, names = "", {}
    ballots: list[Ballot] = []
    for line in filter(None, map(str.strip, text.splitlines())):
        if line.startswith("# TITLE:"):
            title = line.removeprefix("# TITLE:").strip()
        elif found := re.fullmatch(r"# ALTERNATIVE NAME (\d+): ?(.*)", line):
            names[int(found[1])] = found[2]
        elif not line.startswith("#"):
            if "{" in line:
                raise ValueError(f"ties are not supported: {line!r}")
            count, order = line.split(":", 1)
            ranking = tuple(int(c) - 1 for c in order.split(",") if c.strip())
            ballots.append((ranking, int(count)))
    return RankedElection(title, tuple(names[n] for n in sorted(names)), tuple(ballots))


def _quoted(text: str) -> str:
    return '"' + " ".join(text.splitlines()).replace('"', "'") + '"'


def to_blt(title: str, options: Sequence[Option], casts: Sequence[Cast], seats: int) -> str:
    """The ballots as a BLT file for an election of `seats`."""
    lines = [f"{len(options)} {seats}"]
    for ranking, count in merged_ballots(options, casts):
        lines.append(" ".join(map(str, (count, *(c + 1 for c in ranking), 0))))
    lines.append("0")
    lines += [_quoted(_name(option)) for option in options]
    lines.append(_quoted(title))
    return "\n".join(lines) + "\n"


def read_blt(text: str) -> RankedElection:
    """A BLT file: withdrawn candidates (a line of negative ids) are ignored, ballot lines
    read up to the lone `0`, then the candidates' names and the title."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    candidates, seats = map(int, lines[0].split())
    ballots: list[Ballot] = []
    at = 1
    while lines[at] != "0":
        numbers = [int(token) for token in lines[at].split()]
        if numbers[0] > 0:
            ballots.append((tuple(c - 1 for c in numbers[1:-1]), numbers[0]))
        at += 1
    strings = [line.strip('"') for line in lines[at + 1 :]]
    names = tuple(strings[:candidates])
    return RankedElection(strings[candidates] if len(strings) > candidates else "", names,
                          tuple(ballots), seats)  # fmt: skip
