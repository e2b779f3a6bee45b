"""A member's data export on each backend: a real community of alice, bob and carol (two
spaces, posts, claims, profiles, follows, sealed messages, a live document), then alice's
archive read back file by file: exactly her records, her events alone and each verifying,
her contributions as JSON-LD that expands with her as provider, messages her key opens,
no secret, the same bytes twice; and the export endpoint refuses without a good token."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nacl.exceptions
import orjson
import pytest
from pyld import jsonld

from p2pvalue.collab.service import Collab
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.event import parse_body
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.rights.export import ZIP_EPOCH, archive, member_archive
from p2pvalue.social.messages import open_sealed, seal, sign_message
from p2pvalue.web.app import create_app
from p2pvalue.web.rights import api as rights_api
from web.client import ApiClient, Member, error_code

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

EXPORT = "/api/v1/accounts/me/export"
VF = "https://w3id.org/valueflows/ont/vf#"
OM2 = "http://www.ontology-of-units-of-measure.org/resource/om-2/"
FILES = [
    "README.txt", "account.json", "profile.json", "follows.json", "memberships.json",
    "contributions.jsonld", "messages.json", "documents.json",
]  # fmt: skip
ALICE_PROFILE = {
    "display_name": {"value": "Alice", "visibility": "public"},
    "bio": {"value": "Keeps the workshop's spare keys", "visibility": "private"},
}
BOB_SECRET = "Allergic to solder fumes"
BOB_PROFILE = {
    "display_name": {"value": "Bob", "visibility": "public"},
    "bio": {"value": BOB_SECRET, "visibility": "private"},
}
TO_BOB, TO_ALICE, REMOVED, NOT_HERS = b"meet at noon", b"noon it is", b"never mind", b"psst"


def _claim(description: str, quantity: int, unit: str, **extra: Any) -> dict[str, Any]:
    kind = "docs" if unit == "hours" else "resource"
    return {"kind": kind, "description": description, "quantity": quantity, "unit": unit,
            "evidence": [f"https://example.org/{description}"], **extra}  # fmt: skip


@dataclass(frozen=True)
class Community:
    alice: Member
    bob: Member
    carol: Member
    alice_key: KeyPair
    bob_key: KeyPair
    commons: str
    workshop: str
    joined_workshop: str
    doc: str
    messages: dict[bytes, str]


@pytest.fixture
def api(node: Node) -> Iterator[ApiClient]:
    """The node's app with the export route (included here until `create_app` has it)."""
    app = create_app(node)
    if not any(getattr(route, "path", None) == EXPORT for route in app.routes):
        app.include_router(rights_api.router)
    with TestClient(app) as client:
        yield ApiClient(client)


def _ok(response: Any) -> str:
    assert response.status_code == 201, response.text
    found: str = response.json()["id"]
    return found


def _send(api: ApiClient, sender: Member, key: KeyPair, to: Member, text: bytes) -> str:
    sealed = seal(to.did, text)
    body = {"to": to.did, "ciphertext": b64u(sealed),
            "signature": sign_message(key, to.did, sealed)}  # fmt: skip
    return _ok(api.http.post("/api/v1/messages", json=body, headers=sender.auth))


def _social(api: ApiClient, alice: Member, bob: Member, commons: str) -> None:
    for member, profile in ((alice, ALICE_PROFILE), (bob, BOB_PROFILE)):
        put = api.http.put("/api/v1/members/me/profile", json=profile, headers=member.auth)
        assert put.status_code == 200, put.text
    for path in (f"members/{bob.did}", f"spaces/{commons}"):
        followed = api.http.put(f"/api/v1/me/follows/{path}", headers=alice.auth)
        assert followed.status_code == 200, followed.text
    back = api.http.put(f"/api/v1/me/follows/members/{alice.did}", headers=bob.auth)
    assert back.status_code == 200, back.text


def _value(api: ApiClient, alice: Member, bob: Member, carol: Member, spaces: list[str]) -> None:
    commons, workshop = spaces
    shared = _claim("guide", 4, "hours", contributors=[
        {"member": alice.did, "share": 7_500}, {"member": bob.did, "share": 2_500}])  # fmt: skip
    claims = [
        (alice, commons, shared, carol), (bob, commons, _claim("bobs", 2, "hours"), alice),
        (alice, workshop, _claim("kits", 5, "units"), bob),
    ]  # fmt: skip
    for claimant, space, content, reviewer in claims:
        claim = _ok(api.act(claimant, space, "contribution.claim", content))
        review = {"claim": claim, "verdict": "approve"}
        _ok(api.act(reviewer, space, "contribution.review", review))
    _ok(api.act(alice, commons, "contribution.claim", _claim("pending", 9, "hours")))


def build(api: ApiClient, node: Node) -> Community:
    """alice founds Commons, bob and carol join; bob founds Workshop, alice joins; everyone
    posts, claims and reviews; profiles, follows, messages both ways and a document that
    alice and bob write in."""
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    commons = api.create_space(alice, "Commons")
    for member in (bob, carol):
        _ok(api.act(member, commons, "member.join"))
    workshop = api.create_space(bob, "Workshop")
    joined = _ok(api.act(alice, workshop, "member.join"))
    for member, space, text in (
        (alice, commons, "hello"),
        (bob, commons, "hi alice"),
        (alice, workshop, "kits ready"),
        (carol, commons, "hi all"),
    ):
        api.post(member, space, text)
    # Signed and stored, then rejected: a member's role may not grant roles.
    rejected = api.act(alice, workshop, "role.grant", {"member": alice.did, "role": "admin"})
    assert rejected.status_code == 403, rejected.text
    _value(api, alice, bob, carol, [commons, workshop])
    _social(api, alice, bob, commons)
    alice_key, bob_key = api.key_of(alice), api.key_of(bob)
    carol_key = api.key_of(carol)
    sent = {TO_BOB: _send(api, alice, alice_key, bob, TO_BOB),
            TO_ALICE: _send(api, bob, bob_key, alice, TO_ALICE),
            REMOVED: _send(api, bob, bob_key, alice, REMOVED),
            NOT_HERS: _send(api, carol, carol_key, bob, NOT_HERS)}  # fmt: skip
    removed = api.http.delete(f"/api/v1/me/messages/{sent[REMOVED]}", headers=alice.auth)
    assert removed.status_code == 200, removed.text
    created = api.http.post(
        f"/api/v1/spaces/{commons}/docs", json={"title": "Field notes"}, headers=alice.auth
    )
    doc = _ok(created)
    # Who writes through each Yjs client id, as the live documents record it on first write.
    node.service(Collab).claim_clients(doc, {101: alice.did, 202: bob.did})
    node.service(Collab).claim_clients(doc, {103: alice.did})
    return Community(alice, bob, carol, alice_key, bob_key, commons, workshop, joined, doc, sent)


def export(api: ApiClient, member: Member) -> dict[str, bytes]:
    """The member's archive through the API, as {name: content} in the archive's order."""
    response = api.http.get(EXPORT, headers=member.auth)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as zipped:
        return {name: zipped.read(name) for name in zipped.namelist()}


def _json(files: dict[str, bytes], name: str) -> Any:
    return orjson.loads(files[name])


def test_the_archive_holds_exactly_alices_records(api: ApiClient, node: Node) -> None:
    c = build(api, node)
    files = export(api, c.alice)
    assert list(files) == [*FILES, *sorted(f"events/{s}.jsonl" for s in (c.commons, c.workshop))]
    assert files["README.txt"].startswith(
        f"Everything the p2pvalue node {node.did} holds about alice ({c.alice.did}).".encode()
    )
    account = _json(files, "account.json")
    assert account.pop("created_at") > 0
    assert account == {"username": "alice", "did": c.alice.did, "node": node.did}
    assert _json(files, "profile.json") == {
        "did": c.alice.did, "username": "alice", "fields": ALICE_PROFILE
    }  # fmt: skip
    assert _json(files, "follows.json") == {"spaces": [c.commons], "members": [c.bob.did]}
    assert _json(files, "memberships.json") == [
        {"space": c.commons, "name": "Commons", "status": "member",
         "roles": ["admin", "member"], "since": c.commons},
        {"space": c.workshop, "name": "Workshop", "status": "member", "roles": ["member"],
         "since": c.joined_workshop},
    ]  # fmt: skip
    assert _json(files, "documents.json") == {c.doc: [101, 103]}
    everything = b"".join(files.values())
    assert BOB_SECRET.encode() not in everything
    assert BOB_SECRET.encode() in export(api, c.bob)["profile.json"]
    for secret in (c.alice_key.seed, b64u(c.alice_key.seed).encode(), TO_BOB, TO_ALICE):
        assert secret not in everything


def test_events_are_alices_alone_in_each_spaces_order(api: ApiClient, node: Node) -> None:
    c = build(api, node)
    files = export(api, c.alice)
    for space in (c.commons, c.workshop):
        lines = files[f"events/{space}.jsonl"].splitlines()
        stored = [body for body in node.export(space) if parse_body(body).author == c.alice.did]
        assert lines == stored
        logged = [e for e in api.log(space) if e["author"] == c.alice.did]
        assert [parse_body(line).wire for line in lines] == [e["event"] for e in logged]
        assert [e["position"] for e in logged] == sorted(e["position"] for e in logged)
    workshop = [parse_body(line) for line in files[f"events/{c.workshop}.jsonl"].splitlines()]
    assert [e.type for e in workshop] == [
        "member.join", "post.create", "role.grant", "contribution.claim"
    ]  # fmt: skip
    rejected = [e for e in api.log(c.workshop) if e["type"] == "role.grant"]
    assert [e["accepted"] for e in rejected] == [False]
    commons = [parse_body(line).type for line in files[f"events/{c.commons}.jsonl"].splitlines()]
    assert commons == [
        "space.create", "post.create", "contribution.claim", "contribution.review",
        "contribution.claim", "doc.create",
    ]  # fmt: skip


def _value_of(node: dict[str, Any], term: str) -> Any:
    [entry] = node[term]
    return entry.get("@value", entry.get("@id"))


def test_contributions_expand_as_json_ld_with_alices_share(api: ApiClient, node: Node) -> None:
    c = build(api, node)
    document = _json(export(api, c.alice), "contributions.jsonld")
    expanded = jsonld.expand(document)
    assert len(expanded) == 2
    assert {_value_of(n, f"{VF}provider") for n in expanded} == {c.alice.did}
    found = {}
    for event in expanded:
        [measure] = event.get(f"{VF}effortQuantity") or event[f"{VF}resourceQuantity"]
        scope = _value_of(event, f"{VF}inScopeOf")
        found[scope] = (
            _value_of(event, f"{VF}action"),
            _value_of(measure, f"{OM2}hasNumericalValue"),
            _value_of(measure, f"{OM2}hasUnit"),
        )
    # alice's 75 % of the shared 4 hours, and all of her 5 kits; bob's and pending claims out.
    assert found == {
        f"urn:p2pvalue:space:{c.commons}": (f"{VF}work", "3", f"{OM2}hour"),
        f"urn:p2pvalue:space:{c.workshop}": (f"{VF}produce", "5", f"{OM2}one"),
    }


def test_messages_are_the_sealed_boxes_alice_keeps(api: ApiClient, node: Node) -> None:
    c = build(api, node)
    messages = _json(export(api, c.alice), "messages.json")
    inbox = api.http.get("/api/v1/me/messages", headers=c.alice.auth).json()["messages"]
    assert messages == list(reversed(inbox))
    assert [(m["id"], m["from"], m["to"]) for m in messages] == [
        (c.messages[TO_BOB], c.alice.did, c.bob.did),
        (c.messages[TO_ALICE], c.bob.did, c.alice.did),
    ]
    sent, received = (unb64u(m["ciphertext"]) for m in messages)
    assert open_sealed(c.alice_key, received) == TO_ALICE
    # What she sent is sealed to bob: his key opens it, hers does not.
    assert open_sealed(c.bob_key, sent) == TO_BOB
    with pytest.raises(nacl.exceptions.CryptoError):
        open_sealed(c.alice_key, sent)


def test_two_exports_are_the_same_bytes(api: ApiClient, node: Node) -> None:
    c = build(api, node)
    first = api.http.get(EXPORT, headers=c.alice.auth)
    second = api.http.get(EXPORT, headers=c.alice.auth)
    assert first.content == second.content
    assert first.headers["content-type"] == "application/zip"
    assert first.headers["content-disposition"] == 'attachment; filename="p2pvalue-alice.zip"'
    account = node.accounts.by_username("alice")
    assert account is not None
    assert member_archive(node.wiring, account) == first.content
    with zipfile.ZipFile(io.BytesIO(first.content)) as zipped:
        assert {entry.date_time for entry in zipped.infolist()} == {ZIP_EPOCH}


def test_archive_writes_entries_in_order_with_fixed_times() -> None:
    files = [("b.txt", b"second"), ("a/c.json", b"{}\n"), ("a.txt", b"")]
    made = archive(files)
    assert archive(files) == made
    with zipfile.ZipFile(io.BytesIO(made)) as zipped:
        entries = zipped.infolist()
        assert [(e.filename, zipped.read(e)) for e in entries] == files
    assert [(e.date_time, e.external_attr >> 16, e.compress_type) for e in entries] == [
        (ZIP_EPOCH, 0o100644, zipfile.ZIP_DEFLATED)
    ] * 3


def test_the_export_needs_a_good_bearer_token(api: ApiClient) -> None:
    api.sign_up("alice")
    anonymous = api.http.get(EXPORT)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    forged = api.http.get(EXPORT, headers={"Authorization": "Bearer not-a-token"})
    assert (forged.status_code, error_code(forged)) == (401, "bad_token")
