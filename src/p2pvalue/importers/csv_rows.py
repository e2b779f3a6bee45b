"""Contributions logged elsewhere (a spreadsheet, another tool), read from CSV.

Columns (a header row names them): `evidence` (a unique reference: a link, a ticket id),
`kind`, `description`, `date` (ISO 8601, or ms since the epoch), `emails` (who did it, the
first being the main contributor, separated by `;`), `quantity` (a positive integer,
default 1) and `unit` (the one the value equation counts the kind in, which is also the
default; money is not imported this way). Every row is checked before
anything is written, so a dry run can say what would be created and why each refused row
is refused.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from p2pvalue.importers.contributions import Work

REQUIRED = ("evidence", "kind", "description", "date", "emails")
EMAIL = re.compile(r"^[^@\s;<>]+@[^@\s;<>]+\.[^@\s;<>]+$")
UNITS = ("hours", "units")


@dataclass
class CsvRows:
    """The rows that would be imported, and each refused row's line and reason."""

    works: list[Work] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def read_rows(
    lines: Iterable[str], units: Mapping[str, str], now_ms: int, known: Iterable[str] = ()
) -> CsvRows:
    """Check every row of a CSV file against the charter's kinds and the unit its equation
    counts each in (`units`), the clock and the evidence already imported (`known`);
    nothing is written."""
    reader = csv.DictReader(lines)
    missing = [name for name in REQUIRED if name not in (reader.fieldnames or ())]
    rows = CsvRows()
    if missing:
        rows.refused.append((1, f"the header lacks {', '.join(missing)}"))
        return rows
    seen = set(known)
    for row in reader:
        reason, work = _row(row, units, now_ms)
        if work is not None and work.evidence in seen:
            reason, work = f"{work.evidence} is already imported or listed above", None
        if work is None:
            rows.refused.append((reader.line_num, reason))
        else:
            seen.add(work.evidence)
            rows.works.append(work)
    return rows


def _row(row: dict[str, str], units: Mapping[str, str], now_ms: int) -> tuple[str, Work | None]:
    cells = {name: (value or "").strip() for name, value in row.items() if name}
    for name in REQUIRED:
        if not cells.get(name):
            return f"{name} is empty", None
    kind = cells["kind"]
    if kind not in units:
        return f"the charter has no kind {kind!r}", None
    when = _date(cells["date"])
    if when is None:
        return f"{cells['date']!r} is not a date (ISO 8601 or ms)", None
    if when > now_ms:
        return "the work is dated in the future", None
    emails = tuple(e.strip().lower() for e in cells["emails"].split(";") if e.strip())
    bad = [e for e in emails if not EMAIL.match(e)]
    if bad:
        return f"{bad[0]!r} is not an e-mail address", None
    quantity, unit = cells.get("quantity") or "1", cells.get("unit") or units[kind]
    if not quantity.isdigit() or int(quantity) <= 0:
        return f"quantity {quantity!r} is not a positive whole number", None
    if unit != units[kind] or unit not in UNITS:
        return f"{kind} is counted in {units[kind]}, not {unit}", None
    return "", Work(
        evidence=cells["evidence"], kind=cells["kind"], description=cells["description"],
        when_ms=when, emails=tuple(dict.fromkeys(emails)), source="csv",
        quantity=int(quantity), unit=unit,
    )  # fmt: skip


def _date(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
