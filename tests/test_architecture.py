"""The shape of the code stays as docs/architecture.md draws it: imports point one way
(web → node → domains → kernel → events), no package imports one above it, and the
modules of a package import each other without cycles. The contracts are in
pyproject.toml ([tool.importlinter]); this runs them with the suite."""

from __future__ import annotations

import logging
import re
import tomllib
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).parent.parent
DOMAIN_PACKAGES = ("accounting", "governance", "collab", "social", "privacy", "rights",
                   "federation", "fediverse", "importers")  # fmt: skip


def test_the_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    # import-linter configures logging with `dictConfig`, which disables every logger that
    # exists already: those of later tests that read what the node logs are kept enabled.
    enabled = [logger for logger in logging.Logger.manager.loggerDict.values()
               if isinstance(logger, logging.Logger) and not logger.disabled]  # fmt: skip
    try:
        status = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True,
                              no_logo=True)  # fmt: skip
    finally:
        for logger in enabled:
            logger.disabled = False
    report = capsys.readouterr().out
    assert status == 0, report
    assert "0 broken" in report


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("p2pvalue")


@pytest.mark.parametrize("package", DOMAIN_PACKAGES)
@pytest.mark.parametrize("above", ["p2pvalue.node", "p2pvalue.web", "p2pvalue.cli"])
def test_a_domain_imports_nothing_above_it(
    graph: grimp.ImportGraph, package: str, above: str
) -> None:
    chains = graph.find_shortest_chains(importer=f"p2pvalue.{package}", imported=above)
    assert chains == set(), chains


def test_every_package_and_module_is_in_a_layer() -> None:
    """A new module or domain gets a place in the layers, or the contracts would not see it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = config["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in re.split(r"[|:]", layer)}
    source = ROOT / "src" / "p2pvalue"
    found = {f"p2pvalue.{path.stem}" for path in source.glob("*.py") if path.stem != "__init__"}
    found |= {f"p2pvalue.{path.parent.name}" for path in source.glob("*/__init__.py")}
    assert found - placed == set()
    assert {f"p2pvalue.{package}" for package in DOMAIN_PACKAGES} <= placed
