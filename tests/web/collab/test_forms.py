"""The collaboration forms read into event content, the moves a task page offers, and
mentions linked in a post's sanitised HTML without adding anything that could run."""

from __future__ import annotations

import pytest

from collab.unsafe import unsafe
from p2pvalue.collab.markdown import render
from p2pvalue.errors import P2PError
from p2pvalue.web.collab.forms import (
    MoveForm,
    ProjectForm,
    TaskForm,
    move_content,
    project_change,
    task_content,
    with_mentions,
)

PROJECT = "P" * 43
TASK = "T" * 43
LINKS = {"bob": "/spaces/S/members/did%3Akey%3AzBob"}


def test_a_task_form_is_read_into_content() -> None:
    form = TaskForm(title=" Guide ", labels="docs, urgent docs", due="2031-05-04",
                    amount="12.50", currency="eur", project=PROJECT)  # fmt: skip
    assert task_content(form) == {
        "title": "Guide", "labels": ["docs", "urgent"], "project": PROJECT,
        "due": 1_935_619_200_000, "bounty": {"amount": 1250, "currency": "EUR"},
    }  # fmt: skip
    assert task_content(TaskForm(title="x", points="5"))["bounty"] == {"points": 5}


@pytest.mark.parametrize(
    ("form", "says"),
    [
        (TaskForm(title="x", due="4 May"), "as a date, such as"),
        (TaskForm(title="x", points="5", amount="1"), "not both"),
        (TaskForm(title="x", points="2.5"), "whole number"),
    ],
)
def test_a_task_form_that_cannot_be_read_is_refused(form: TaskForm, says: str) -> None:
    with pytest.raises(P2PError, match=says):
        task_content(form)


def test_a_project_change_lists_each_member_once() -> None:
    form = ProjectForm(description=" d ", status="paused", member=["did:a", "did:b", "did:a"])
    assert project_change(PROJECT, form) == {
        "project": PROJECT, "description": "d", "members": ["did:a", "did:b"], "status": "paused",
    }  # fmt: skip


def test_moves_carry_only_what_their_event_takes() -> None:
    assert move_content(TASK, MoveForm(action="drop", reason=" broken ", note="n")) == (
        "task.drop", {"task": TASK, "reason": "broken"})  # fmt: skip
    assert move_content(TASK, MoveForm(action="assign", assignee=["did:a"])) == (
        "task.assign", {"task": TASK, "assignees": ["did:a"]})  # fmt: skip
    with pytest.raises(P2PError, match="not something a task can do"):
        move_content(TASK, MoveForm(action="delete"))


def test_only_resolved_mentions_in_text_become_links() -> None:
    html = with_mentions(render("@bob and @carol, `@bob` and [@bob](https://x.org)"), LINKS)
    assert html.count('href="/spaces/S/members/did%3Akey%3AzBob"') == 1
    assert "@carol" in html and "<code>@bob</code>" in html
    assert unsafe(html) == []


def test_linking_mentions_adds_nothing_that_runs() -> None:
    source = '@bob <img src=x onerror=alert(1)> [x](javascript:alert(1)) ![a](x "@bob")'
    html = with_mentions(render(source), LINKS)
    assert unsafe(html) == []
    assert html.startswith('<p><a href="/spaces/S/members/did%3Akey%3AzBob"')
