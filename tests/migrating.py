"""What the migration tests share: an empty database on each backend, and Alembic run on it
to a given revision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from p2pvalue.store.database import MIGRATIONS, make_engine, sqlite_url


@pytest.fixture
def engine(tmp_path: Path, database_url: str | None) -> Iterator[Engine]:
    created = make_engine(database_url or sqlite_url(tmp_path / "upgrade.db"))
    yield created
    created.dispose()


def alembic(engine: Engine, verb: str, revision: str) -> None:
    """Run `alembic <verb> <revision>` (upgrade or downgrade) on `engine`'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        getattr(command, verb)(config, revision)
