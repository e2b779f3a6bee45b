"""Contributions logged elsewhere, imported from CSV: a dry run names every row it would
create and every row it refuses, with why; a file with a refused row writes nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from p2pvalue.accounting.service import Value
from p2pvalue.accounting.types import email_alias
from p2pvalue.cli import app
from p2pvalue.config import load_config
from p2pvalue.importers.csv_rows import read_rows
from p2pvalue.node import Node

GOOD = (
    "evidence,kind,description,date,emails,quantity,unit\n"
    "https://t.example/1,docs,Wrote the FAQ,2024-03-01T10:00:00+00:00,Ann@Example.org,3,hours\n"
    "https://t.example/2,care,Ran the meetup,2024-03-02,ann@example.org;bo@example.org,,\n"
)
BAD_ROWS = (
    "https://t.example/1,docs,Again,2024-03-01,ann@example.org,1,hours\n"
    "https://t.example/3,juggling,Circus,2024-03-01,ann@example.org,1,hours\n"
    "https://t.example/4,docs,Later,2999-01-01,ann@example.org,1,hours\n"
    "https://t.example/5,docs,Who,2024-03-01,not-an-address,1,hours\n"
    "https://t.example/6,docs,Much,2024-03-01,ann@example.org,-2,hours\n"
    "https://t.example/7,docs,,2024-03-01,ann@example.org,1,hours\n"
    "https://t.example/8,docs,Pages,2024-03-01,ann@example.org,1,units\n"
)
KINDS = {"docs": "hours", "care": "hours"}
NOW = 1_800_000_000_000


def test_rows_are_read_and_every_refusal_says_why() -> None:
    rows = read_rows((GOOD + BAD_ROWS).splitlines(keepends=True), KINDS, NOW)
    assert [(w.evidence, w.emails, w.quantity, w.unit) for w in rows.works] == [
        ("https://t.example/1", ("ann@example.org",), 3, "hours"),
        ("https://t.example/2", ("ann@example.org", "bo@example.org"), 1, "hours"),
    ]
    assert rows.works[0].when_ms == 1_709_287_200_000
    assert rows.refused == [
        (4, "https://t.example/1 is already imported or listed above"),
        (5, "the charter has no kind 'juggling'"),
        (6, "the work is dated in the future"),
        (7, "'not-an-address' is not an e-mail address"),
        (8, "quantity '-2' is not a positive whole number"),
        (9, "description is empty"),
        (10, "docs is counted in hours, not units"),
    ]
    assert read_rows(["kind,date\n"], KINDS, NOW).refused == [
        (1, "the header lacks evidence, description, emails")
    ]


def test_cli_dry_run_then_import(tmp_path: Path) -> None:
    runner = CliRunner()
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["init", "--data", data]).exit_code == 0
    assert runner.invoke(app, ["demo", "--data", data]).exit_code == 0
    with Node(load_config(Path(data))) as node:
        space = node.spaces()[0].id
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_text(GOOD + BAD_ROWS)
    good.write_text(GOOD)
    args = ["--space", space, "--data", data]
    refused = runner.invoke(app, ["import", "csv", str(bad), *args])
    assert refused.exit_code == 1
    assert "line 5 refused: the charter has no kind 'juggling'" in refused.stderr
    assert "2 to import, 7 refused; nothing written" in refused.stdout
    dry = runner.invoke(app, ["import", "csv", str(good), *args, "--dry-run"])
    assert dry.exit_code == 0 and "would import https://t.example/2: care by" in dry.stdout
    with Node(load_config(Path(data))) as node:
        assert "https://t.example/1" not in node.service(Value).ledger(space).evidence
    done = runner.invoke(app, ["import", "csv", str(good), *args])
    assert done.exit_code == 0, done.output
    assert "2 imported, 2 unclaimed contributors" in done.stdout
    with Node(load_config(Path(data))) as node:
        ledger = node.service(Value).ledger(space)
        meetup = ledger.claims[ledger.evidence["https://t.example/2"]]
    ann, bo = email_alias("ann@example.org"), email_alias("bo@example.org")
    assert (meetup.shares, meetup.source) == ({ann: 5000, bo: 5000}, "csv")
