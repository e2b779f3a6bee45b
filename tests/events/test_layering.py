"""The events layer is the bottom one: it imports no domain, and domains plug into it."""

from __future__ import annotations

import grimp
import pytest

from p2pvalue import domains
from p2pvalue.events.authority import Rules
from p2pvalue.events.types import Catalog, installed

BELOW = ("p2pvalue.events", "p2pvalue.errors")


def test_events_import_nothing_but_themselves() -> None:
    graph = grimp.build_graph("p2pvalue")
    outside = sorted(
        (module, imported)
        for module in graph.modules
        if module.startswith("p2pvalue.events")
        for imported in graph.find_modules_directly_imported_by(module)
        if imported.startswith("p2pvalue") and not imported.startswith(BELOW)
    )
    assert outside == []


def test_the_kernel_alone_knows_only_its_own_types() -> None:
    kernel = Catalog()
    assert "post.create" in kernel.kinds and "contribution.claim" not in kernel.kinds
    assert kernel.erasable == {"post.create"}


def test_the_installed_catalog_holds_every_domain() -> None:
    catalog = domains.install()
    assert installed() is catalog
    assert {"contribution.claim", "proposal.close", "task.create"} <= catalog.kinds.keys()
    assert [section.name for section in catalog.sections] == ["value", "decisions", "research"]
    assert catalog.erasable == {
        "post.create", "thread.create", "thread.reply", "thread.edit", "thread.react",
        "affiliation.declare",
    }  # fmt: skip
    assert {"doc.write", "replica.add"} <= catalog.rights


def test_a_type_is_declared_once() -> None:
    post = installed().kind("post.create")
    with pytest.raises(ValueError, match="two declarations"):
        Catalog(types=(post,))


def test_two_domains_may_not_rule_one_type() -> None:
    rules = domains.rules()
    with pytest.raises(ValueError, match=r"proposal\.close"):
        rules + Rules(checks={"proposal.close": lambda action, state: None})
