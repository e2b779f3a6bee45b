"""Alembic migrations: the head builds exactly the declared schema, and re-running is a no-op."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from p2pvalue.store.database import head_revision, migrate
from p2pvalue.store.schema import metadata

VERSION_TABLE = "alembic_version"


def describe(engine: Engine) -> dict[str, Any]:
    """Tables, columns, keys and indexes as the database reports them."""
    inspector = inspect(engine)
    described: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        described[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table)["constrained_columns"],
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            "foreign_keys": [
                (f["constrained_columns"], f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ],
        }
    return described


def test_an_empty_database_starts_without_tables(engine: Engine) -> None:
    assert inspect(engine).get_table_names() == []


def test_head_creates_exactly_the_declared_tables(engine: Engine) -> None:
    migrate(engine)
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == {*metadata.tables, VERSION_TABLE}
    for name, table in metadata.tables.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert list(columns) == [c.name for c in table.columns], name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, (name, column.name)
        primary = inspector.get_pk_constraint(name)["constrained_columns"]
        assert primary == [c.name for c in table.primary_key.columns], name
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes(name)}
        for index in table.indexes:
            assert indexes.get(index.name) == [c.name for c in index.columns], index.name


def test_head_has_no_drift_from_the_metadata(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_migrating_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    schema = describe(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO heads (space, event_id) VALUES ('s', 'e')"))

    migrate(engine)

    assert describe(engine) == schema
    with engine.begin() as conn:
        assert list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))) == [
            (head_revision(),)
        ]
        assert list(conn.execute(text("SELECT space, event_id FROM heads"))) == [("s", "e")]


def test_the_database_records_the_head_revision(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head_revision()
        assert conn.scalar(select(text("count(*)")).select_from(text(VERSION_TABLE))) == 1
