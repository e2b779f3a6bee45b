"""Which kinds a decision in words can take, and which of them is the yes/no default."""

from __future__ import annotations

from typing import Any

from p2pvalue.events.charter import charter_from_content
from p2pvalue.governance.templates import cooperative, default_charter
from p2pvalue.governance.types import text_kinds, yes_no_kind


def with_decisions(**decisions: dict[str, Any]) -> Any:
    content = default_charter()
    content["decisions"] |= decisions
    return charter_from_content(content)


def test_a_choice_kind_that_sorts_first_is_not_the_yes_no_default() -> None:
    charter = with_decisions(priorities={"method": "schulze"})
    assert list(text_kinds(charter)) == ["text", "priorities"]
    assert yes_no_kind(charter) == "text"
    assert yes_no_kind(charter_from_content(cooperative())) == "text"  # consent; budget chooses


def test_when_every_decision_in_words_chooses_the_first_yes_no_kind_is_taken() -> None:
    charter = with_decisions(default={"method": "borda"}, ops={"method": "consent"},
                             zoning={"method": "majority"})  # fmt: skip
    assert yes_no_kind(charter) == "ops"
    only_choices = with_decisions(default={"method": "borda"})
    assert yes_no_kind(only_choices) is None
    # Kinds fixed by an action (charter, roles, …) are not decisions in words.
    assert "charter" not in text_kinds(only_choices)
