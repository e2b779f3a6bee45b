"""Imports point down: no domain package imports the node (the composition root) or the
web; each receives a `Wiring` instead."""

from __future__ import annotations

import grimp
import pytest

DOMAIN_PACKAGES = ("accounting", "governance", "collab", "social", "privacy", "rights",
                   "federation", "fediverse", "importers")  # fmt: skip


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
