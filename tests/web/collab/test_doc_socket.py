"""Live documents over the y-websocket protocol, on each backend: members who may write edit
together, readers follow but their updates never land, others get nothing; malformed and
oversized frames close the socket with a precise code; updates persist and survive a
restart; authorship is measured and signed as `doc.snapshot` events."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pycrdt import create_update_message

from p2pvalue.collab import live
from p2pvalue.collab.service import Collab
from p2pvalue.config import init_data_dir
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from web.client import ApiClient
from web.ypeer import YPeer, community, url


def _document(api: ApiClient, space: str, doc: str, token: str) -> dict[str, Any]:
    found = api.http.get(
        f"/api/v1/spaces/{space}/docs/{doc}", headers={"Authorization": f"Bearer {token}"}
    )
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body


def _snapshots(api: ApiClient, space: str) -> list[dict[str, Any]]:
    return [e for e in api.log(space) if e["event"]["type"] == "doc.snapshot"]


def _wait(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_writers_edit_together_and_a_late_joiner_gets_the_document(api: ApiClient) -> None:
    alice, bob, carol, space, doc = community(api)
    with (
        api.http.websocket_connect(url(doc, alice)) as one,
        api.http.websocket_connect(url(doc, bob)) as two,
    ):
        first, second = YPeer(one, 101), YPeer(two, 202)
        first.sync()
        second.sync()
        first.insert(0, "hello world")
        second.until_text("hello world")
        second.insert(5, ",")
        first.until_text("hello, world")
    with api.http.websocket_connect(url(doc, carol)) as three:
        late = YPeer(three, 303)
        late.sync()
        assert str(late.text) == "hello, world"
    assert _document(api, space, doc, carol.token)["text"] == "hello, world"


def test_a_reader_follows_but_their_updates_never_land(api: ApiClient) -> None:
    alice, _bob, carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, alice)) as socket:
        writer = YPeer(socket, 1)
        writer.sync()
        writer.insert(0, "agreed text")
        writer.round_trip()
    with api.http.websocket_connect(url(doc, carol)) as socket:
        reader = YPeer(socket, 3)
        reader.text.insert(0, "offline edit ")  # sent in the sync step 2: dropped quietly
        reader.sync()
        assert sorted(str(reader.text).partition("agreed text")) == ["", "agreed text",
                                                                     "offline edit "]  # fmt: skip
        assert _document(api, space, doc, alice.token)["text"] == "agreed text"
        reader.insert(0, "vandal ")
        assert reader.closed() == (4403, "read_only")
    document = _document(api, space, doc, carol.token)
    assert (document["text"], document["writable"]) == ("agreed text", False)
    assert document["measure"]["authors"] == {alice.did: len("agreed text")}


def test_others_get_nothing_but_a_close_code(api: ApiClient) -> None:
    alice, _bob, _carol, space, doc = community(api)
    outsider = api.sign_up("mallory")
    cases = {
        url(doc, outsider): (4403, "not_a_member"),
        url(doc, None): (4401, "not_authenticated"),
        f"/ws/docs/{doc}?token=forged": (4401, "bad_token"),
        url("D" * 43, alice): (4404, "unknown_document"),
        url(space, alice): (4404, "unknown_document"),  # an event that is not a document
    }
    for path, expected in cases.items():
        with api.http.websocket_connect(path) as socket:
            assert YPeer(socket, 9).closed() == expected, path


def test_a_cookie_from_another_sites_page_is_refused(api: ApiClient) -> None:
    alice, _bob, _carol, space, doc = community(api)
    login = api.http.post("/login", data={"username": "alice", "password": "correct horse battery"})
    assert login.status_code in (200, 303), login.text
    headers = {"origin": "http://evil.example"}
    with api.http.websocket_connect(f"/ws/docs/{doc}", headers=headers) as socket:
        assert YPeer(socket, 9).closed() == (4403, "cross_origin")
    with api.http.websocket_connect(f"/ws/docs/{doc}") as socket:
        page = YPeer(socket, 9)
        page.sync()
        page.insert(0, "from my own page")
        page.round_trip()
    assert _document(api, space, doc, alice.token)["text"] == "from my own page"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (b"\x09\x00", "malformed_frame"),
        (b"\x00\x02\x05ab", "malformed_frame"),
        (b"\x00\x02\x02\x00\x00\xff", "malformed_frame"),
        (create_update_message(b"\x01\x02garbage"), "malformed_update"),
    ],
)
def test_malformed_frames_close_the_socket_and_change_nothing(
    api: ApiClient, frame: bytes, reason: str
) -> None:
    alice, _bob, _carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, alice)) as socket:
        peer = YPeer(socket, 1)
        peer.sync()
        peer.insert(0, "kept")
        peer.round_trip()
        socket.send_bytes(frame)
        assert peer.closed() == (4400, reason)
    assert _document(api, space, doc, alice.token)["text"] == "kept"


def test_text_frames_are_not_the_protocol(api: ApiClient) -> None:
    alice, _bob, _carol, _space, doc = community(api)
    with api.http.websocket_connect(url(doc, alice)) as socket:
        peer = YPeer(socket, 1)
        peer.sync()
        socket.send_text("hello")
        assert peer.closed() == (4400, "malformed_frame")


def test_oversized_updates_and_documents_are_refused(api: ApiClient) -> None:
    alice, _bob, _carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, alice)) as socket:
        peer = YPeer(socket, 1)
        peer.sync()
        peer.insert(0, "x" * (live.MAX_FRAME_BYTES + 10))
        assert peer.closed() == (1009, "update_too_large")
    documents: live.LiveDocuments = api.http.app.state.documents  # type: ignore[attr-defined]
    documents.max_doc_bytes = 2_000
    with api.http.websocket_connect(url(doc, alice)) as socket:
        peer = YPeer(socket, 2)
        peer.sync()
        peer.insert(0, "y" * 1_500)
        peer.round_trip()
        peer.insert(0, "z" * 1_000)
        assert peer.closed() == (4413, "document_too_large")
    assert _document(api, space, doc, alice.token)["text"] == "y" * 1_500


def test_awareness_reaches_the_other_clients(api: ApiClient) -> None:
    alice, _bob, carol, _space, doc = community(api)
    with (
        api.http.websocket_connect(url(doc, alice)) as one,
        api.http.websocket_connect(url(doc, carol)) as two,
    ):
        first, second = YPeer(one, 11), YPeer(two, 22)
        first.sync()
        second.sync()
        state = b'{"user":{"name":"alice"}}'
        frame = b"\x01" + bytes([len(state) + 4, 1, 11, 1, len(state)]) + state
        one.send_bytes(frame)
        assert second.receive() == frame
        assert first.receive() == frame  # the sender hears its own awareness back


def test_updates_persist_across_a_restart(tmp_path: Path) -> None:
    data = init_data_dir(tmp_path / "node")
    with Node(data) as node, TestClient(create_app(node)) as http:
        api = ApiClient(http)
        alice, _bob, carol, _space, doc = community(api)
        with http.websocket_connect(url(doc, alice)) as socket:
            peer = YPeer(socket, 1)
            peer.sync()
            peer.insert(0, "survives")
            peer.insert(8, " a restart")
            peer.round_trip()
    with Node(data) as node, TestClient(create_app(node)) as http:
        api = ApiClient(http)
        with http.websocket_connect(url(doc, carol)) as socket:
            peer = YPeer(socket, 2)
            peer.sync()
            assert str(peer.text) == "survives a restart"


def test_authorship_is_measured_and_signed_on_demand(api: ApiClient) -> None:
    alice, bob, _carol, space, doc = community(api)
    with (
        api.http.websocket_connect(url(doc, alice)) as one,
        api.http.websocket_connect(url(doc, bob)) as two,
    ):
        first, second = YPeer(one, 7), YPeer(two, 9)
        first.sync()
        second.sync()
        first.insert(0, "hello world")
        second.until_text("hello world")
        second.insert(5, " there")
        second.delete(0, 2)
        first.until_text("llo there world")
        snapshot = api.http.post(f"/api/v1/spaces/{space}/docs/{doc}/snapshots", headers=bob.auth)
        assert snapshot.status_code == 201, snapshot.text
        again = api.http.post(f"/api/v1/spaces/{space}/docs/{doc}/snapshots", headers=bob.auth)
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "snapshot_unchanged"
    signed = [e for e in _snapshots(api, space) if e["id"] == snapshot.json()["id"]]
    content = signed[0]["event"]["content"]
    assert signed[0]["event"]["author"] == bob.did
    assert (content["doc"], content["units"], content["unattributed"]) == (doc, 15, 0)
    assert content["authors"] == {alice.did: 9, bob.did: 6}
    document = _document(api, space, doc, alice.token)
    assert document["measure"]["state"] == content["state"]
    assert document["latest_snapshot"]["authors"] == {alice.did: 9, bob.did: 6}


def test_the_last_writer_signs_a_snapshot_when_everyone_leaves(api: ApiClient) -> None:
    _alice, bob, carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, bob)) as socket:
        peer = YPeer(socket, 5)
        peer.sync()
        peer.insert(0, "minutes of the meeting")
        peer.round_trip()
    _wait(lambda: len(_snapshots(api, space)) == 1)
    event = _snapshots(api, space)[0]["event"]
    assert (event["author"], event["content"]["authors"]) == (bob.did, {bob.did: 22})
    with api.http.websocket_connect(url(doc, carol)) as socket:
        YPeer(socket, 6).sync()  # a reader changes nothing: no second snapshot
    time.sleep(0.3)
    assert len(_snapshots(api, space)) == 1


def test_open_documents_are_snapshotted_on_schedule(node: Node) -> None:
    with TestClient(create_app(node, snapshot_every=0.2)) as http:
        api = ApiClient(http)
        alice, _bob, _carol, space, doc = community(api)
        with http.websocket_connect(url(doc, alice)) as socket:
            peer = YPeer(socket, 5)
            peer.sync()
            peer.insert(0, "draft")
            peer.round_trip()
            _wait(lambda: len(_snapshots(api, space)) == 1)
            peer.insert(5, " two")
            peer.round_trip()
            _wait(lambda: len(_snapshots(api, space)) == 2)
        units = [e["event"]["content"]["units"] for e in _snapshots(api, space)]
        assert units == [5, 9]


def test_a_removed_member_is_cut_off_at_once(api: ApiClient) -> None:
    alice, bob, _carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, bob)) as socket:
        peer = YPeer(socket, 5)
        peer.sync()
        peer.insert(0, "before")
        peer.round_trip()
        removed = api.act(alice, space, "member.remove", {"member": bob.did})
        assert removed.status_code == 201, removed.text
        assert peer.closed() == (4403, "not_a_member")
    assert _document(api, space, doc, alice.token)["text"] == "before"


def test_a_revoked_writer_becomes_a_reader_at_once(api: ApiClient) -> None:
    alice, bob, _carol, space, doc = community(api)
    with api.http.websocket_connect(url(doc, bob)) as socket:
        peer = YPeer(socket, 5)
        peer.sync()
        revoked = api.act(alice, space, "role.revoke", {"member": bob.did, "role": "member"})
        assert revoked.status_code == 201, revoked.text
        peer.insert(0, "after the revoke")
        assert peer.closed() == (4403, "read_only")
    assert _document(api, space, doc, alice.token)["text"] == ""


def test_a_socket_whose_access_cannot_be_decided_again_is_closed(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, carol, space, doc = community(api)
    node: Node = api.http.app.state.node  # type: ignore[attr-defined]
    with api.http.websocket_connect(url(doc, carol)) as socket:
        peer = YPeer(socket, 5)
        peer.sync()

        def broken(doc: str, did: str) -> None:
            raise RuntimeError("the store is gone")

        monkeypatch.setattr(node.service(Collab), "access", broken)
        granted = api.act(alice, space, "role.grant", {"member": bob.did, "role": "moderator"})
        assert granted.status_code == 201, granted.text
        assert peer.closed() == (1011, "access_unknown")
