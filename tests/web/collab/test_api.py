"""The collaboration API on a real node: projects, the task lifecycle and the claim a done
task drafts, threads with safe Markdown, mentions, edits and reactions; refusals with their
codes, and nothing stored when refused."""

from __future__ import annotations

from typing import Any

import httpx

from collab.unsafe import unsafe
from web.client import ApiClient, Member, error_code


def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    event_id: str = response.json()["id"]
    return event_id


def _move(
    api: ApiClient, who: Member, space: str, task: str, action: str, **extra: Any
) -> httpx.Response:
    url = f"/api/v1/spaces/{space}/tasks/{task}/transitions"
    response: httpx.Response = api.http.post(
        url, json={"action": action, **extra}, headers=who.auth
    )
    return response


def _community(api: ApiClient) -> tuple[Member, Member, Member, str]:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    for member in (bob, carol):
        assert api.act(member, space, "member.join").status_code == 201
    return alice, bob, carol, space


def test_projects_create_list_update(api: ApiClient) -> None:
    alice, bob, carol, space = _community(api)
    base = f"/api/v1/spaces/{space}/projects"
    body = {"name": "Seed library", "description": "Seeds for all", "members": [bob.did]}
    project = _created(api.http.post(base, json=body, headers=alice.auth))
    listed = api.http.get(base).json()["projects"]
    assert [(p["id"], p["status"], p["members"]) for p in listed] == [
        (project, "active", sorted([alice.did, bob.did]))
    ]
    outsider = api.http.patch(f"{base}/{project}", json={"status": "paused"}, headers=carol.auth)
    assert (outsider.status_code, error_code(outsider)) == (403, "not_a_project_member")
    _created(api.http.patch(f"{base}/{project}", json={"status": "archived"}, headers=bob.auth))
    found = api.http.get(f"{base}/{project}").json()
    assert (found["status"], found["tasks"]) == ("archived", [])
    tasks = f"/api/v1/spaces/{space}/tasks"
    late = api.http.post(tasks, json={"project": project, "title": "Sort"}, headers=bob.auth)
    assert (late.status_code, error_code(late)) == (409, "project_archived")
    missing = api.http.get(f"{base}/{'P' * 43}")
    assert (missing.status_code, error_code(missing)) == (404, "unknown_project")
    empty = api.http.patch(f"{base}/{project}", json={}, headers=bob.auth)
    assert (empty.status_code, error_code(empty)) == (422, "nothing_to_update")


def test_task_lifecycle_drafts_a_claim_the_assignee_confirms(api: ApiClient) -> None:
    alice, bob, carol, space = _community(api)
    tasks = f"/api/v1/spaces/{space}/tasks"
    body = {"title": "Write the assembly guide", "labels": ["docs", "urgent"], "due": 10**12}
    task = _created(api.http.post(tasks, json=body, headers=alice.auth))
    _created(_move(api, bob, space, task, "claim"))
    _created(_move(api, carol, space, task, "claim"))
    assert [
        t["id"] for t in api.http.get(tasks, params={"assignee": carol.did}).json()["tasks"]
    ] == [task]
    early = api.http.get(f"{tasks}/{task}/claim")
    assert (early.status_code, error_code(early)) == (409, "no_draft")
    _created(_move(api, bob, space, task, "submit", note="ready"))
    _created(_move(api, alice, space, task, "done"))

    found = api.http.get(f"{tasks}/{task}").json()
    assert found["status"] == "done"
    assert [(h["before"], h["after"]) for h in found["history"]] == [
        ("open", "claimed"), ("claimed", "claimed"), ("claimed", "in_review"),
        ("in_review", "done"),
    ]  # fmt: skip
    draft = api.http.get(f"{tasks}/{task}/claim").json()
    assert draft["claim"] is None
    shares = {c["member"]: c["share"] for c in draft["draft"]["contributors"]}
    assert shares == {bob.did: 5000, carol.did: 5000}
    assert (draft["draft"]["kind"], draft["draft"]["evidence"]) == ("docs", [task])

    stranger = api.http.post(f"{tasks}/{task}/claim", json={"quantity": 3}, headers=alice.auth)
    assert (stranger.status_code, error_code(stranger)) == (403, "not_an_assignee")
    no_hours = api.http.post(f"{tasks}/{task}/claim", json={}, headers=bob.auth)
    assert (no_hours.status_code, error_code(no_hours)) == (422, "quantity_required")
    claim = _created(api.http.post(f"{tasks}/{task}/claim", json={"quantity": 3}, headers=bob.auth))
    claims = api.http.get(f"/api/v1/spaces/{space}/claims").json()["claims"]
    assert [(c["id"], c["shares"], c["description"]) for c in claims] == [
        (claim, {bob.did: 5000, carol.did: 5000}, "Write the assembly guide")
    ]
    again = api.http.post(f"{tasks}/{task}/claim", json={"quantity": 3}, headers=carol.auth)
    assert (again.status_code, error_code(again)) == (422, "evidence_already_claimed")
    assert api.http.get(f"{tasks}/{task}/claim").json()["claim"] == claim


def test_impossible_transitions_are_refused_and_store_nothing(api: ApiClient) -> None:
    alice, bob, carol, space = _community(api)
    tasks = f"/api/v1/spaces/{space}/tasks"
    task = _created(api.http.post(tasks, json={"title": "Fix the lathe"}, headers=alice.auth))
    before = api.count(space)
    cases = [
        (bob, "submit", {}, 409, "task_not_claimed"),
        (alice, "done", {}, 409, "task_not_in_review"),
        (alice, "reopen", {}, 409, "task_not_closed"),
        (bob, "assign", {"assignees": [bob.did]}, 403, "not_task_steward"),
        (alice, "assign", {"assignees": ["did:key:z6MkNobody"]}, 422, "assignee_not_a_member"),
        (alice, "drop", {}, 422, "invalid_content"),
    ]
    for who, action, extra, status, code in cases:
        response = _move(api, who, space, task, action, **extra)
        assert (response.status_code, error_code(response)) == (status, code), action
    unknown = _move(api, alice, space, "T" * 43, "claim")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_task")
    assert api.count(space) == before

    _created(_move(api, alice, space, task, "assign", assignees=[bob.did]))
    not_mine = _move(api, carol, space, task, "submit")
    assert (not_mine.status_code, error_code(not_mine)) == (403, "not_an_assignee")
    _created(_move(api, bob, space, task, "submit"))
    _created(_move(api, bob, space, task, "done"))
    finished: list[tuple[str, dict[str, Any]]] = [("claim", {}), ("drop", {"reason": "x"})]
    for action, extra in [*finished, ("submit", {})]:
        response = _move(api, bob, space, task, action, **extra)
        assert (response.status_code, error_code(response)) == (409, "task_already_done")
    _created(_move(api, alice, space, task, "reopen"))
    _created(_move(api, alice, space, task, "drop", reason="bought a new lathe"))
    dropped = api.http.get(tasks, params={"status": "dropped"}).json()["tasks"]
    assert [(t["id"], t["reason"]) for t in dropped] == [(task, "bought a new lathe")]


XSS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<div onmouseover="alert(1)">\n\nraw block\n\n</div>',
    '<a href="javascript:alert(1)">x</a> <svg onload=alert(1)>',
]


def test_threads_render_safe_markdown_with_mentions_reactions_and_history(
    api: ApiClient,
) -> None:
    alice, bob, carol, space = _community(api)
    threads = f"/api/v1/spaces/{space}/threads"
    body = {"on": {"kind": "space"}, "title": "Welcome", "text": "**Hi** @bob and @nobody"}
    thread = _created(api.http.post(threads, json=body, headers=alice.auth))
    replies = [
        _created(api.http.post(f"{threads}/{thread}/replies", json={"text": t}, headers=bob.auth))
        for t in XSS
    ]
    got = api.http.get(f"{threads}/{thread}").json()
    first = got["posts"][0]
    assert first["html"] == "<p><strong>Hi</strong> @bob and @nobody</p>\n"
    assert first["mentions"] == [{"username": "bob", "did": bob.did}]
    for post in got["posts"][1:]:
        assert unsafe(post["html"]) == [], post["source"]
    assert got["posts"][1]["source"] == XSS[0]

    posts = f"/api/v1/spaces/{space}/posts"
    not_author = api.http.post(f"{posts}/{thread}/edits", json={"text": "mine"}, headers=bob.auth)
    assert (not_author.status_code, error_code(not_author)) == (403, "not_the_author")
    edit = _created(
        api.http.post(f"{posts}/{thread}/edits", json={"text": "Hello"}, headers=alice.auth)
    )
    same = api.http.post(f"{posts}/{thread}/edits", json={"text": "Hello"}, headers=alice.auth)
    assert (same.status_code, error_code(same)) == (422, "edit_unchanged")
    for who in (bob, carol):
        _created(
            api.http.post(f"{posts}/{thread}/reactions", json={"emoji": "👍"}, headers=who.auth)
        )
    twice = api.http.post(f"{posts}/{thread}/reactions", json={"emoji": "👍"}, headers=bob.auth)
    assert (twice.status_code, error_code(twice)) == (409, "already_reacted")
    _created(api.http.post(f"{posts}/{thread}/reactions", json={"emoji": "👍", "on": False},
                           headers=carol.auth))  # fmt: skip
    first = api.http.get(f"{threads}/{thread}").json()["posts"][0]
    assert [(v["event"], v["text"]) for v in first["history"]] == [
        (thread, "**Hi** @bob and @nobody"), (edit, "Hello")
    ]  # fmt: skip
    assert (first["edited"], first["source"], first["mentions"]) == (True, "Hello", [])
    assert first["reactions"] == {"👍": {"count": 1, "members": [bob.did]}}
    assert replies[0] in [p["id"] for p in api.http.get(f"{threads}/{thread}").json()["posts"]]


def test_threads_on_targets_and_refusals(api: ApiClient) -> None:
    alice, bob, _, space = _community(api)
    threads = f"/api/v1/spaces/{space}/threads"
    task = _created(api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": "Paint"},
                                  headers=alice.auth))  # fmt: skip
    on_task = {"on": {"kind": "task", "id": task}, "title": "Which colour?", "text": "Blue?"}
    thread = _created(api.http.post(threads, json=on_task, headers=bob.auth))
    api.http.post(threads, json={"on": {"kind": "space"}, "title": "Other", "text": "x"},
                  headers=bob.auth)  # fmt: skip
    listed = api.http.get(threads, params={"kind": "task", "target": task}).json()["threads"]
    assert [(t["id"], t["on"]) for t in listed] == [(thread, {"kind": "task", "id": task})]
    before = api.count(space)
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (threads, {**on_task, "on": {"kind": "task", "id": "T" * 43}}, 404, "unknown_task"),
        (threads, {**on_task, "on": {"kind": "project", "id": "P" * 43}}, 404, "unknown_project"),
        (threads, {**on_task, "on": {"kind": "proposal", "id": "Q" * 43}}, 404, "unknown_target"),
        (threads, {**on_task, "on": {"kind": "task"}}, 422, "invalid_target"),
        (f"{threads}/{'R' * 43}/replies", {"text": "hi"}, 404, "unknown_thread"),
        (f"/api/v1/spaces/{space}/posts/{'S' * 43}/reactions", {"emoji": "x"}, 404, "unknown_post"),
    ]
    for url, body, status, code in cases:
        response = api.http.post(url, json=body, headers=alice.auth)
        assert (response.status_code, error_code(response)) == (status, code), code
    undo = api.http.post(f"/api/v1/spaces/{space}/posts/{thread}/reactions",
                         json={"emoji": "🎉", "on": False}, headers=alice.auth)  # fmt: skip
    assert (undo.status_code, error_code(undo)) == (409, "not_reacted")
    assert api.count(space) == before
