"""The collaboration forms refused over in-process HTTP: each comes back on the page it was
sent from (422), with what is wrong next to its field and what was typed kept, and nothing
is stored."""

from __future__ import annotations

import httpx

from web.client import PASSWORD, ApiClient, Member
from web.fields import refused


def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    event_id: str = response.json()["id"]
    return event_id


def _community(api: ApiClient) -> tuple[Member, Member, str]:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    api.http.cookies.clear()
    api.http.post("/login", data={"username": alice.username, "password": PASSWORD})
    return alice, bob, space


def _post(api: ApiClient, path: str, form: dict[str, str | list[str]]) -> str:
    answer = api.http.post(path, data=form, follow_redirects=False)
    assert answer.status_code == 422, (path, answer.status_code)
    text: str = answer.text
    return text


def test_a_refused_project_keeps_its_name_description_and_members(api: ApiClient) -> None:
    _, bob, space = _community(api)
    before = api.count(space)
    base = f"/spaces/{space}/projects"
    page = _post(api, base, {"name": "  ", "description": "Seeds for all", "member": [bob.did]})
    assert refused(page, "project-name").note == "Give the project a name."
    assert ">Seeds for all</textarea>" in page
    assert f'value="{bob.did}" checked' in page
    long = _post(api, base, {"name": "n" * 201, "description": ""})
    said = refused(long, "project-name")
    assert (said.value, said.note) == ("n" * 201, "Keep it under 200 characters (this is 201).")
    assert api.count(space) == before


def test_a_refused_thread_comes_back_on_the_page_it_was_started_from(api: ApiClient) -> None:
    alice, _, space = _community(api)
    task = _created(api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": "Oil it"},
                                  headers=alice.auth))  # fmt: skip
    project = _created(api.http.post(f"/api/v1/spaces/{space}/projects",
                                     json={"name": "Seeds"}, headers=alice.auth))  # fmt: skip
    before = api.count(space)
    threads = f"/spaces/{space}/threads"
    page = _post(api, threads, {"kind": "space", "title": "Oil?", "text": "   "})
    said = refused(page, "thread-text")
    assert said.note == "Write the first post."
    assert 'value="Oil?"' in page and '<details id="new-thread" open>' in page

    on_task = _post(api, threads, {"kind": "task", "target": task, "title": "",
                                   "text": "Where is the oil?"})  # fmt: skip
    assert refused(on_task, "thread-title").note == "Give the thread a title."
    assert 'id="task-title">Oil it<' in on_task and ">Where is the oil?</textarea>" in on_task

    on_project = _post(api, threads, {"kind": "project", "target": project, "title": "t" * 201,
                                      "text": "Which seeds?"})  # fmt: skip
    said = refused(on_project, "thread-title")
    assert said.value == "t" * 201 and said.note.startswith("Keep it under 200 characters")
    assert 'id="project-name">Seeds<' in on_project and ">Which seeds?</textarea>" in on_project
    assert refused(on_project, "thread-title").name == "title"
    assert 'id="task-title-error"' not in on_project
    assert api.count(space) == before


def test_a_refused_reply_keeps_its_text(api: ApiClient) -> None:
    alice, _, space = _community(api)
    opened = {"on": {"kind": "space"}, "title": "Oil?", "text": "Where"}
    thread = _created(api.act(alice, space, "thread.create", opened))
    before = api.count(space)
    at = f"/spaces/{space}/threads/{thread}/replies"
    empty = refused(_post(api, at, {"text": " \n "}), "reply-text")
    assert (empty.name, empty.note) == ("text", "Write something to reply.")
    long = "y" * 20_001
    said = refused(_post(api, at, {"text": long}), "reply-text")
    assert said.value == long and said.note.startswith("Keep it under 20000 characters")
    assert api.count(space) == before


def test_a_refused_drop_says_why_by_the_reason(api: ApiClient) -> None:
    alice, _, space = _community(api)
    task = _created(api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": "Oil it"},
                                  headers=alice.auth))  # fmt: skip
    before = api.count(space)
    at = f"/spaces/{space}/tasks/{task}/move"
    empty = refused(_post(api, at, {"action": "drop", "reason": ""}), "drop-reason")
    assert (empty.name, empty.note) == ("reason", "Say why the task is dropped.")
    long = "no oil left " * 200
    said = refused(_post(api, at, {"action": "drop", "reason": long}), "drop-reason")
    assert said.value == long and said.note.startswith("Keep it under 2000 characters")
    assert api.count(space) == before
    api.http.post(at, data={"action": "drop", "reason": "no oil left"})
    again = _post(api, at, {"action": "drop", "reason": "twice"})
    assert 'id="drop-error">The task was already dropped.<' in again
