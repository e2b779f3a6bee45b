"""Long lists on the pages come a page at a time (web.paging): members, requests to join,
the board's columns, the value table and a member's contributions, on both backends, with
page sizes made small so a few members make several pages."""

from __future__ import annotations

from typing import Any

import pytest

from p2pvalue.node import Node
from p2pvalue.web import paging
from p2pvalue.web.spaces import pages as space_pages
from web.client import PASSWORD, ApiClient, Member

BAD_PAGES = ("abc", "-1", "0", "1.5", "999999999999999999999", "")


@pytest.fixture(autouse=True)
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_SIZE", 2)
    monkeypatch.setattr(space_pages, "SHOWN_MEMBERS", 2)


def community(api: ApiClient, **fields: Any) -> tuple[str, list[Member]]:
    """An open space alice founded, which bob, carol and dave joined in that order."""
    people = [api.sign_up(name) for name in ("alice", "bob", "carol", "dave")]
    space = api.create_space(people[0], **fields)
    for member in people[1:]:
        assert api.act(member, space, "member.join").status_code == 201
    return space, people


def listed(page: str, list_id: str) -> str:
    return page.split(f'id="{list_id}"', 1)[1].split("</ol>", 1)[0].split("</ul>", 1)[0]


def assert_no_such_page(api: ApiClient, path: str, first: str, **kept: str) -> None:
    """Every bad page number is a 400 page, one past the end a 404 page, each linking back."""
    for bad in BAD_PAGES:
        answer = api.http.get(path, params={**kept, "page": bad})
        assert answer.status_code == 400, (bad, answer.status_code)
        assert "text/html" in answer.headers["content-type"]
        assert "is not a page number" in answer.text
        assert f'<a href="{first}" id="first-page">' in answer.text
    beyond = api.http.get(path, params={**kept, "page": "99"})
    assert beyond.status_code == 404
    assert "so there is no page 99" in beyond.text
    assert f'<a href="{first}" id="first-page">' in beyond.text


def test_the_space_page_links_to_its_members_a_page_at_a_time(api: ApiClient) -> None:
    space, _ = community(api)
    home = api.http.get(f"/spaces/{space}").text
    assert listed(home, "members").count("<li>") == 2
    assert f'<a href="/spaces/{space}/members" id="all-members-link">See all 4 members</a>' in home
    first = api.http.get(f"/spaces/{space}/members")
    assert first.status_code == 200
    assert "4 members, in the order they joined: those here longest first." in first.text
    shown = listed(first.text, "members")
    assert [n for n in ("alice", "bob", "carol", "dave") if f">{n}</a>" in shown] == [
        "alice", "bob"
    ]  # fmt: skip
    assert f'href="/spaces/{space}/members?page=2" rel="next"' in first.text
    assert 'rel="prev"' not in first.text
    second = api.http.get(f"/spaces/{space}/members", params={"page": "2"}).text
    assert ">carol</a>" in listed(second, "members") and ">dave</a>" in second
    assert ">alice</a>" not in listed(second, "members")
    assert f'href="/spaces/{space}/members" rel="prev"' in second
    assert 'rel="next"' not in second
    assert_no_such_page(api, f"/spaces/{space}/members", f"/spaces/{space}/members")


def test_a_few_members_have_no_page_links(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    assert "all-members-link" not in api.http.get(f"/spaces/{space}").text
    only = api.http.get(f"/spaces/{space}/members").text
    assert "1 member, in the order they joined" in only
    assert "members-pages" not in only
    assert api.http.get(f"/spaces/{space}/members", params={"page": "2"}).status_code == 404


def test_requests_to_join_come_a_page_at_a_time(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice, membership="approval")
    for name in ("bob", "carol", "dave"):
        asking = api.sign_up(name)
        asked = api.act(asking, space, "member.request", {"note": f"I am {name}"})
        assert asked.status_code == 201, asked.text
    api.http.post("/login", data={"username": "alice", "password": PASSWORD})
    home = api.http.get(f"/spaces/{space}").text
    assert "Requests to join (3)" in home
    first = api.http.get(f"/spaces/{space}/requests").text
    assert "3 requests, oldest first. Showing 1 to 2." in first
    assert first.count("data-member=") == 2
    assert f'href="/spaces/{space}/requests?page=2" rel="next"' in first
    second = api.http.get(f"/spaces/{space}/requests", params={"page": "2"}).text
    assert second.count("data-member=") == 1 and "I am dave" in second
    assert_no_such_page(api, f"/spaces/{space}/requests", f"/spaces/{space}/requests")


def open_tasks(api: ApiClient, space: str, by: Member, titles: list[str]) -> None:
    for title in titles:
        made = api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": title},
                             headers=by.auth)  # fmt: skip
        assert made.status_code == 201, made.text


def test_each_column_of_the_board_shows_its_first_tasks_and_links_to_the_rest(
    api: ApiClient,
) -> None:
    space, (alice, *_) = community(api)
    open_tasks(api, space, alice, ["First", "Second", "Third"])
    board = api.http.get(f"/spaces/{space}/tasks").text
    column = board.split('id="column-open"', 1)[1].split("</section>", 1)[0]
    assert column.count('class="task"') == 2 and "Third" not in column
    assert f'href="/spaces/{space}/tasks?status=open&amp;page=2" class="show-more"' in column
    assert "Show 1 more task" in column
    assert 'name="assignee"' in board and '<option value="did:' not in board
    rest = api.http.get(f"/spaces/{space}/tasks", params={"status": "open", "page": "2"})
    assert rest.status_code == 200
    assert ">Third</a>" in rest.text and ">First</a>" not in rest.text
    assert 'id="column-claimed"' not in rest.text
    assert f'href="/spaces/{space}/tasks?status=open" rel="prev"' in rest.text
    assert f'href="/spaces/{space}/tasks" id="whole-board"' in rest.text
    path = f"/spaces/{space}/tasks"
    assert_no_such_page(api, path, path + "?status=open", status="open")
    unknown = api.http.get(path, params={"status": "finished"})
    assert unknown.status_code == 404 and "so there is no page" not in unknown.text


def test_the_board_filters_by_a_username_and_says_when_no_one_has_it(api: ApiClient) -> None:
    space, (alice, bob, *_) = community(api)
    open_tasks(api, space, alice, ["Mine"])
    board = f"/spaces/{space}/tasks"
    task = api.http.get(f"/api/v1/spaces/{space}/tasks").json()["tasks"][0]["id"]
    claimed = api.http.post(f"/api/v1/spaces/{space}/tasks/{task}/transitions",
                            json={"action": "claim"}, headers=bob.auth)  # fmt: skip
    assert claimed.status_code == 201, claimed.text
    for typed in ("bob", "@bob", bob.did):
        shown = api.http.get(board, params={"assignee": typed})
        assert shown.status_code == 200 and ">Mine</a>" in shown.text
    assert ">Mine</a>" not in api.http.get(board, params={"assignee": "carol"}).text
    wrong = api.http.get(board, params={"assignee": "bobb"})
    assert wrong.status_code == 422
    assert 'value="bobb" aria-invalid="true" aria-describedby="filter-assignee-error"' in wrong.text
    assert 'id="filter-assignee-error">No one here has the username “bobb”' in wrong.text
    assert ">Mine</a>" in wrong.text


def accepted(api: ApiClient, space: str, by: Member, reviewer: Member, hours: int) -> None:
    claim = {"kind": "code", "description": f"{hours} hours", "quantity": hours, "unit": "hours"}
    made = api.act(by, space, "contribution.claim", claim)
    assert made.status_code == 201, made.text
    review = {"claim": made.json()["id"], "verdict": "approve"}
    assert api.act(reviewer, space, "contribution.review", review).status_code == 201


def test_the_value_table_shows_the_most_value_first_a_page_at_a_time(api: ApiClient) -> None:
    space, (alice, bob, carol, dave) = community(api)
    for member, hours in ((carol, 2), (bob, 3), (dave, 1)):
        accepted(api, space, member, alice, hours)
    value = f"/spaces/{space}/value"
    first = api.http.get(value).text
    table = first.split('id="values"', 1)[1].split("</table>", 1)[0]
    assert table.index(">bob</a>") < table.index(">carol</a>") and ">dave</a>" not in table
    # alice's reviews give her some value too
    assert "Members 1 to 2 of 4, by the value of their work, most first." in first
    assert f'href="{value}?page=2#values" rel="next"' in first
    second = api.http.get(value, params={"page": "2", "status": "accepted"}).text
    table = second.split('id="values"', 1)[1].split("</table>", 1)[0]
    assert ">dave</a>" in table and ">bob</a>" not in table
    assert f'href="{value}?status=accepted#values" rel="prev"' in second
    assert_no_such_page(api, value, value)


def test_a_members_contributions_come_newest_first_a_page_at_a_time(api: ApiClient) -> None:
    space, (alice, bob, *_) = community(api)
    for hours in (1, 2, 3):
        accepted(api, space, bob, alice, hours)
    mine = f"/spaces/{space}/members/{bob.did}"
    first = api.http.get(mine).text
    claims = listed(first, "member-claims")
    assert claims.index("3 hours") < claims.index("2 hours") and "1 hours" not in claims
    assert "3 contributions, newest first. Showing 1 to 2." in first
    assert f'href="{mine}?page=2#member-claims" rel="next"' in first
    second = api.http.get(mine, params={"page": "2"}).text
    assert "1 hours" in listed(second, "member-claims")
    assert_no_such_page(api, mine, mine)


def test_in_a_large_space_a_task_is_assigned_by_username(api: ApiClient, node: Node) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    for n in range(51):
        person = node.accounts.register(f"member{n:02d}", PASSWORD)
        assert node.act(person, space, "member.join", {}).status == "accepted"
    open_tasks(api, space, alice, ["Sweep the yard"])
    task = api.http.get(f"/api/v1/spaces/{space}/tasks").json()["tasks"][0]["id"]
    api.http.post("/login", data={"username": "alice", "password": PASSWORD})
    page = f"/spaces/{space}/tasks/{task}"
    shown = api.http.get(page).text
    assert 'name="assignee"' not in shown and 'name="name"' in shown
    move = {"action": "assign", "name": "member99"}
    wrong = api.http.post(f"{page}/move", data=move)
    assert wrong.status_code == 422
    assert 'value="member99" aria-invalid="true" aria-describedby="assign-name-error"' in wrong.text
    assert 'id="assign-name-error">No one here has the username “member99”' in wrong.text
    done = api.http.post(f"{page}/move", data={**move, "name": "@member07"},
                         follow_redirects=False)  # fmt: skip
    assert done.status_code == 303, done.text
    assigned = node.accounts.by_username("member07")
    assert assigned is not None
    assert api.http.get(f"/api/v1/spaces/{space}/tasks/{task}").json()["assignees"] == [
        assigned.did
    ]
    again = api.http.get(page).text
    assert f'name="assignee" value="{assigned.did}" checked' in again
    projects = f"/spaces/{space}/projects"
    assert 'name="member"' not in api.http.get(projects).text
    start = {"name": "Yard", "member_name": "membr07"}
    refused = api.http.post(projects, data=start)
    assert refused.status_code == 422
    assert 'value="membr07" aria-invalid="true"' in refused.text
    assert 'id="project-member_name-error">No one here has the username “membr07”' in refused.text
    made = api.http.post(projects, data={**start, "member_name": "member07"})
    assert made.status_code == 200 and "Yard" in made.text  # the redirect, followed
    project = made.url.path
    assert f'name="member" value="{assigned.did}" checked' in made.text
    changed = api.http.post(project, data={"name": "Yard", "status": "active",
                                           "member": [alice.did, assigned.did],
                                           "member_name": "member08"})  # fmt: skip
    assert 'role="alert"' not in changed.text, changed.text.split('role="alert"')[1][:200]
    member08 = node.accounts.by_username("member08")
    assert member08 is not None
    assert f'name="member" value="{member08.did}" checked' in api.http.get(project).text
