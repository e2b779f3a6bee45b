"""The collaboration pages over in-process HTTP: what the browser tests cannot see cheaply."""

from __future__ import annotations

import httpx

from web.client import PASSWORD, ApiClient, Member


def _created(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    event_id: str = response.json()["id"]
    return event_id


def _log_in(api: ApiClient, member: Member) -> None:
    api.http.cookies.clear()
    api.http.post("/login", data={"username": member.username, "password": PASSWORD})


def _alert(page: httpx.Response) -> str:
    text = page.text.replace("\n", "")
    start = text.find('role="alert">')
    return text[start + 13 : text.find("<", start + 13)] if start >= 0 else ""


def _community(api: ApiClient) -> tuple[Member, Member, str]:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    return alice, bob, space


def test_a_project_is_changed_by_its_members_only(api: ApiClient) -> None:
    alice, bob, space = _community(api)
    base = f"/spaces/{space}/projects"
    project = _created(api.http.post(f"/api/v1{base}", json={"name": "Seeds"},
                                     headers=alice.auth))  # fmt: skip
    change = {"description": "Seeds for all", "status": "paused", "member": [alice.did, bob.did]}
    _log_in(api, bob)
    before = api.count(space)
    moved = api.http.post(f"{base}/{project}", data=change, follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, f"{base}/{project}")
    refused = _alert(api.http.get(f"{base}/{project}"))
    assert refused == "Only the project&#39;s members may change it."
    assert api.count(space) == before

    _log_in(api, alice)
    api.http.post(f"{base}/{project}", data=change)
    page = api.http.get(f"{base}/{project}").text
    assert 'id="project-status">paused<' in page and "Seeds for all" in page
    listed = api.http.get(base).text
    assert 'data-status="paused"' in listed


def test_a_drop_needs_a_reason_and_a_thread_on_a_task_links_back(api: ApiClient) -> None:
    alice, _, space = _community(api)
    task = _created(api.http.post(f"/api/v1/spaces/{space}/tasks", json={"title": "Oil it"},
                                  headers=alice.auth))  # fmt: skip
    _log_in(api, alice)
    at = f"/spaces/{space}/tasks/{task}"
    refused = api.http.post(f"{at}/move", data={"action": "drop"}, follow_redirects=False)
    assert refused.status_code == 422
    assert 'id="drop-reason-error">Say why the task is dropped.<' in refused.text
    api.http.post(f"{at}/move", data={"action": "drop", "reason": "no oil left"})
    page = api.http.get(at).text
    assert 'id="task-status">dropped<' in page and 'id="reason">no oil left<' in page
    assert 'data-move="reopen"' in page and 'data-move="claim"' not in page

    made = api.http.post(
        f"/spaces/{space}/threads",
        follow_redirects=False,
        data={"kind": "task", "target": task, "title": "Oil?", "text": "Where"},
    )
    thread = made.headers["location"].rsplit("/", 1)[1]  # fmt: skip
    assert f'href="/spaces/{space}/tasks/{task}" id="thread-about">Oil it<' in api.http.get(
        made.headers["location"]).text  # fmt: skip
    assert f'data-thread="{thread}"' in api.http.get(at).text


def test_a_visitor_sees_no_forms_and_what_is_not_there_is_missing(api: ApiClient) -> None:
    _, _, space = _community(api)
    for path in ("tasks", "projects", "threads"):
        page = api.http.get(f"/spaces/{space}/{path}")
        assert page.status_code == 200
        content = page.text.split("<footer>")[0]  # the footer's language picker is for all
        assert 'method="post"' not in content.replace("/logout", "")
    for path in ("tasks", "projects", "threads"):
        assert api.http.get(f"/spaces/{space}/{path}/{'X' * 43}").status_code == 404
    assert api.http.get(f"/spaces/{'S' * 43}/tasks").status_code == 404


def test_a_document_on_the_timeline_is_linked_only_for_who_may_open_it(api: ApiClient) -> None:
    alice, bob, space = _community(api)
    carol = api.sign_up("carol")
    doc = _created(api.act(alice, space, "doc.create", {"title": "Minutes"}))
    link = f'<a href="/spaces/{space}/docs/{doc}">“Minutes”</a>'
    pages = [f"/spaces/{space}", f"/spaces/{space}/members/{alice.did}", f"/members/{alice.did}"]

    def seen_by(member: Member | None) -> list[str]:
        api.http.cookies.clear()
        if member is not None:
            _log_in(api, member)
        return [api.http.get(path).text for path in pages]

    for visitor in (None, carol):
        for text in seen_by(visitor):
            assert "started the document “Minutes”" in text and link not in text
            assert f"/docs/{doc}" not in text
    api.http.post(f"/spaces/{space}/follow")
    feed = api.http.get("/feed").text
    assert "started the document “Minutes”" in feed and f"/docs/{doc}" not in feed

    for text in seen_by(bob):
        assert link in text
    assert api.http.get(f"/spaces/{space}/docs/{doc}").status_code == 200
