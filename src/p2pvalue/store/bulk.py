"""Bulk inserts handed straight to the driver's executemany.

SQLAlchemy's per-row parameter processing costs about a third of an event's insert time
on SQLite (measured: 16-20 µs against 11 µs an event). The statement is still compiled by
SQLAlchemy for the connection's dialect, so the same code serves SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert


@lru_cache(maxsize=64)
def _statement(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, Any]:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
    return str(compiled), order


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (all with the same keys) into `table` in one executemany."""
    if not rows:
        return
    sql, order = _statement(conn.dialect, table, tuple(rows[0]))
    if order is None:
        conn.exec_driver_sql(sql, [dict(row) for row in rows])
    else:
        pick = itemgetter(*order)
        values = [pick(row) for row in rows] if len(order) > 1 else [(pick(r),) for r in rows]
        conn.exec_driver_sql(sql, values)
