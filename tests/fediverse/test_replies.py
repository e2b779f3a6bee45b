"""Replies from fediverse accounts (on SQLite and PostgreSQL): a Mastodon-like server's
users answer a thread of a public space with `Create{Note}`s signed by independent
libraries (`http-message-signatures`, `httpsig`); the replies show in the thread's API
JSON and page, a redelivery is the same reply, the author's Update edits and Delete
removes, and anyone else's is refused and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from fediverse.test_activitypub import AS, PUBLIC, Community, community
from fediverse.test_inbox_forms import _httpsig, _rfc9421

__all__ = ["community"]


def _thread(community: Community) -> tuple[str, str]:
    """(thread id, id of a reply in it), started by ann on the space."""
    node, ann, space = community.node, community.ann, community.space
    content = {"on": {"kind": "space"}, "title": "Tools we use", "text": "Which editor?"}
    thread = str(node.act(ann, space, "thread.create", content).id)
    post = str(node.act(ann, space, "thread.reply", {"thread": thread, "text": "Vim."}).id)
    return thread, post


def _note(community: Community, name: str, number: int, answers: str, content: str,
          by: str | None = None) -> dict[str, Any]:  # fmt: skip
    actor = community.remote.actor(by or name)
    return {"id": f"{actor}/statuses/{number}", "type": "Note", "attributedTo": actor,
            "inReplyTo": f"{community.url}/ap/objects/{answers}", "content": content,
            "to": [PUBLIC], "cc": [community.group]}  # fmt: skip


def _send(community: Community, name: str, kind: str, thing: Any, *, shared: bool = False,
          httpsig: bool = False) -> httpx.Response:  # fmt: skip
    """`kind` of `thing`, by `name`, POSTed to the group's (or the shared) inbox."""
    actor = community.remote.actor(name)
    activity = {"@context": AS, "id": f"{actor}/activities/{kind}/{len(str(thing))}",
                "type": kind, "actor": actor, "object": thing}  # fmt: skip
    url = f"{community.url}/ap/inbox" if shared else f"{community.group}/inbox"
    body = orjson.dumps(activity)
    sign = _httpsig if httpsig else _rfc9421
    headers = {"Content-Type": "application/activity+json", **sign(community, name, url, body)}
    return httpx.post(url, content=body, headers=headers, timeout=30)


def _remote_replies(community: Community, thread: str) -> list[dict[str, Any]]:
    url = f"{community.url}/api/v1/spaces/{community.space}/threads/{thread}"
    found: list[dict[str, Any]] = httpx.get(url, timeout=30).json()["remote_replies"]
    return found


def _status(response: httpx.Response) -> tuple[int, str]:
    answer = response.json()
    return response.status_code, answer["error"]["code"] if "error" in answer else answer["status"]


def test_a_reply_shows_in_the_thread_once_however_often_it_arrives(community: Community) -> None:
    thread, post = _thread(community)
    html = "<p>Helix, <script>alert(1)</script><b>really</b>.</p><p>Try it &amp; see<br>x</p>"
    alice = _note(community, "alice", 1, thread, html)
    mallory = _note(community, "mallory", 2, post, "<p>Vim forever</p>")

    assert _status(_send(community, "alice", "Create", alice)) == (202, "replied")
    again = _send(community, "alice", "Create", alice, shared=True, httpsig=True)
    assert _status(again) == (202, "already_kept")
    assert _status(_send(community, "mallory", "Create", mallory, httpsig=True)) == (
        202, "replied")  # fmt: skip

    replies = _remote_replies(community, thread)
    host = community.remote.url.removeprefix("http://")
    assert [(r["id"], r["handle"], r["name"], r["profile"], r["text"]) for r in replies] == [
        (alice["id"], f"alice@{host}", "Alice", f"{community.remote.url}/@alice",
         "Helix, really.\n\nTry it & see\nx"),
        (mallory["id"], f"mallory@{host}", "Mallory", f"{community.remote.url}/@mallory",
         "Vim forever"),
    ]  # fmt: skip
    assert [(r["in_reply_to"], r["fediverse"], r["edited"]) for r in replies] == [
        (thread, True, False), (post, True, False)]  # fmt: skip

    page = httpx.get(f"{community.url}/spaces/{community.space}/threads/{thread}").text
    assert "Replies from the fediverse" in page and "they are not members" in page
    assert f"@alice@{host}" in page and "Try it &amp; see" in page
    assert f'href="{community.remote.url}/@mallory"' in page
    assert "<script>alert" not in page


def test_only_the_author_edits_or_deletes_a_reply(community: Community) -> None:
    thread, _ = _thread(community)
    alice = _note(community, "alice", 1, thread, "<p>First thought</p>")
    assert _status(_send(community, "alice", "Create", alice)) == (202, "replied")

    edited = {**alice, "content": "<p>Second thought</p>"}
    assert _status(_send(community, "mallory", "Update", edited)) == (403, "not_the_author")
    forged = {**edited, "attributedTo": community.remote.actor("mallory")}
    assert _status(_send(community, "mallory", "Update", forged)) == (403, "not_the_author")
    assert _status(_send(community, "mallory", "Delete", alice["id"], httpsig=True)) == (
        403, "not_the_author")  # fmt: skip
    as_alice = _note(community, "alice", 9, thread, "<p>Not mine</p>")
    assert _status(_send(community, "mallory", "Create", as_alice)) == (403, "not_the_author")
    assert [r["text"] for r in _remote_replies(community, thread)] == ["First thought"]

    assert _status(_send(community, "alice", "Update", edited, httpsig=True)) == (202, "edited")
    assert [(r["text"], r["edited"]) for r in _remote_replies(community, thread)] == [
        ("Second thought", True)]  # fmt: skip

    tombstone = {"id": alice["id"], "type": "Tombstone"}
    assert _status(_send(community, "alice", "Delete", tombstone)) == (202, "deleted")
    assert _remote_replies(community, thread) == []
    assert _status(_send(community, "alice", "Delete", alice["id"])) == (202, "not_kept")


def test_replies_to_nothing_here_or_too_large_are_refused(community: Community) -> None:
    thread, _ = _thread(community)
    unknown = _note(community, "alice", 1, "f" * 43, "<p>Hello?</p>")
    assert _status(_send(community, "alice", "Create", unknown)) == (422, "unknown_reply_target")
    elsewhere = {**unknown, "inReplyTo": "https://elsewhere.example/notes/1"}
    assert _status(_send(community, "alice", "Create", elsewhere)) == (
        422, "unknown_reply_target")  # fmt: skip
    huge = _note(community, "alice", 2, thread, "<p>" + "a" * 21_000 + "</p>")
    assert _status(_send(community, "alice", "Create", huge)) == (413, "reply_too_large")
    assert _remote_replies(community, thread) == []


def test_a_private_space_never_takes_replies(community: Community) -> None:
    node, ann = community.node, community.ann
    private = str(node.create_space(ann, "Back Office", membership="invite").id)
    content = {"on": {"kind": "space"}, "title": "Salaries", "text": "Draft"}
    thread = str(node.act(ann, private, "thread.create", content).id)
    reply = _note(community, "alice", 1, thread, "<p>Let me in</p>")

    url = f"{community.url}/ap/spaces/{private}/inbox"
    body = orjson.dumps({"@context": AS, "id": f"{reply['id']}/create", "type": "Create",
                         "actor": reply["attributedTo"], "object": reply})  # fmt: skip
    headers = {"Content-Type": "application/activity+json",
               **_rfc9421(community, "alice", url, body)}  # fmt: skip
    assert _status(httpx.post(url, content=body, headers=headers)) == (404, "unknown_group")
    assert _status(_send(community, "alice", "Create", reply, shared=True)) == (
        422, "unknown_reply_target")  # fmt: skip
    with node.engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM ap_replies").scalar() == 0


def test_a_reply_to_a_space_post_shows_under_it(community: Community) -> None:
    node, ann, space = community.node, community.ann, community.space
    posted = str(node.act(ann, space, "post.create", {"text": "We meet on Friday."}).id)
    other = str(node.act(ann, space, "post.create", {"text": "Nobody answers this."}).id)
    alice = _note(community, "alice", 1, posted, "<p>See you <i>there</i> &amp; then</p>")

    assert _status(_send(community, "alice", "Create", alice)) == (202, "replied")

    page = httpx.get(f"{community.url}/spaces/{space}").text
    host = community.remote.url.removeprefix("http://")
    shown = page.split("We meet on Friday.", 1)[1].split("</li>", 1)[0]
    assert f'data-note="{alice["id"]}"' in shown and f"@alice@{host}" in shown
    assert "See you there &amp; then" in shown and "fediverse" in shown
    assert "remote-reply" not in page.split("Nobody answers this.", 1)[1].split("</li>", 1)[0]
    events = httpx.get(f"{community.url}/api/v1/spaces/{space}/events", timeout=30).json()
    by_id = {e["id"]: e for e in events["events"]}
    assert [(r["id"], r["text"], r["fediverse"]) for r in by_id[posted]["remote_replies"]] == [
        (alice["id"], "See you there & then", True)]  # fmt: skip
    assert by_id[other]["remote_replies"] == []
    assert "remote_replies" not in by_id[node.events(space)[0].id]
