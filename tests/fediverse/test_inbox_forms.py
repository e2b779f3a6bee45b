"""The inbox takes both signature forms in use, each made by an independent library: RFC
9421 (`http-message-signatures`) and draft-cavage (`httpsig`); and a member's Person has
an outbox of their public posts, read as a client built from the ActivityPub spec would."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives import serialization
from httpsig import HeaderSigner

from fediverse import rfc9421
from fediverse.test_activitypub import ACTIVITY_JSON, AS, PUBLIC, Community, community
from p2pvalue.fediverse.signatures import digest

__all__ = ["community"]


def _follow(community: Community, name: str, number: int) -> tuple[str, bytes]:
    actor = community.remote.actor(name)
    activity = {"@context": AS, "id": f"{actor}/follows/{number}", "type": "Follow",
                "actor": actor, "object": community.group}  # fmt: skip
    return f"{community.group}/inbox", orjson.dumps(activity)


def _rfc9421(community: Community, name: str, url: str, body: bytes,
             **options: Any) -> dict[str, str]:  # fmt: skip
    remote = community.remote
    return rfc9421.sign_request(remote.keys[name], remote.key_id(name), "POST", url, body,
                                **options)  # fmt: skip


def _httpsig(community: Community, name: str, url: str, body: bytes) -> dict[str, str]:
    remote = community.remote
    pem = remote.keys[name].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )  # fmt: skip
    signer = HeaderSigner(remote.key_id(name), pem, algorithm="rsa-sha256", sign_header="signature",
                          headers=["(request-target)", "host", "date", "digest"])  # fmt: skip
    sent = {"Host": url.split("/")[2], "Date": time.strftime("%a, %d %b %Y %H:%M:%S GMT",
            time.gmtime()), "Digest": digest(body), "Content-Type": ACTIVITY_JSON}  # fmt: skip
    signed: dict[str, str] = signer.sign(sent, method="POST", path="/" + url.split("/", 3)[3])
    return signed


def test_follows_signed_in_either_form_are_accepted(community: Community) -> None:
    url, body = _follow(community, "alice", 1)
    by_rfc9421 = httpx.post(url, content=body, headers=_rfc9421(community, "alice", url, body))
    url, body = _follow(community, "mallory", 2)
    by_httpsig = httpx.post(url, content=body, headers=_httpsig(community, "mallory", url, body))

    assert (by_rfc9421.status_code, by_rfc9421.json()) == (202, {"status": "followed"})
    assert (by_httpsig.status_code, by_httpsig.json()) == (202, {"status": "followed"})
    accepted = community.remote.wait_for(lambda r: r.path == "/users/mallory/inbox")
    assert (accepted.activity["type"], accepted.problem) == ("Accept", None)
    assert community.counts()[0] == 2


def test_rfc9421_refusals_have_their_codes_and_store_nothing(community: Community) -> None:
    url, body = _follow(community, "alice", 3)
    alice, remote = community.remote.keys["alice"], community.remote

    def sent(headers: dict[str, str], content: bytes = body) -> tuple[int, str]:
        answer = httpx.post(url, content=content, headers=headers)
        return answer.status_code, answer.json()["error"]["code"]

    forged = rfc9421.sign_request(remote.keys["mallory"], remote.key_id("alice"), "POST", url,
                                  body)  # fmt: skip
    assert sent(forged) == (401, "bad_activity_signature")
    elsewhere = _rfc9421(community, "alice", f"{community.url}/ap/inbox", body)
    assert sent(elsewhere) == (401, "bad_activity_signature")
    assert sent(_rfc9421(community, "alice", url, body), body + b" ") == (400, "digest_mismatch")
    stale = _rfc9421(community, "alice", url, body,
                     created=datetime.now(UTC) - timedelta(minutes=10))  # fmt: skip
    assert sent(stale) == (401, "stale_activity")
    unknown = rfc9421.sign_request(alice, f"{remote.url}/users/nobody#main-key", "POST", url,
                                   body)  # fmt: skip
    assert sent(unknown) == (401, "unknown_actor_key")
    uncovered = _rfc9421(community, "alice", url, body, covered=("@method", "@target-uri"))
    assert sent(uncovered) == (401, "incomplete_signature")
    assert community.counts() == (0, 0)


def test_a_members_outbox_pages_their_public_posts(community: Community) -> None:
    node, ann, space = community.node, community.ann, community.space
    posted = [node.act(ann, space, "post.create", {"text": f"post {n}"}).id for n in range(22)]
    private = str(node.create_space(ann, "Back Office", membership="invite").id)
    node.act(ann, private, "post.create", {"text": "not for the fediverse"})

    actor = community.get(f"{community.url}/ap/members/{ann.did}")
    assert actor.headers["content-type"].startswith(ACTIVITY_JSON)
    outbox = community.get(actor.json()["outbox"])
    collection = outbox.json()
    assert outbox.headers["content-type"].startswith(ACTIVITY_JSON)
    assert (collection["id"], collection["type"], collection["totalItems"]) == (
        actor.json()["outbox"], "OrderedCollection", 22)  # fmt: skip

    first = community.get(collection["first"]).json()
    second = community.get(first["next"]).json()
    assert (first["type"], first["partOf"], second["partOf"]) == (
        "OrderedCollectionPage", collection["id"], collection["id"])  # fmt: skip
    assert "next" not in second
    items = first["orderedItems"] + second["orderedItems"]
    notes = [item["object"] for item in items]
    assert [note["content"] for note in notes] == [f"<p>post {n}</p>" for n in reversed(range(22))]
    assert {(i["type"], i["actor"], n["type"]) for i, n in zip(items, notes, strict=True)} == {
        ("Create", actor.json()["id"], "Note")}  # fmt: skip
    assert all(n["to"] == [PUBLIC] for n in notes)
    newest = items[0]
    assert newest["id"] == f"{community.url}/ap/activities/{posted[-1]}"
    assert community.get(newest["id"]).json()["object"] == newest["object"]
    assert community.get(newest["object"]["id"]).json()["content"] == "<p>post 21</p>"
    assert community.get(first["id"]).json() == first


def test_a_stranger_has_no_outbox(community: Community) -> None:
    answer = community.get(f"{community.url}/ap/members/did:key:z6MkNobody/outbox")
    assert (answer.status_code, answer.json()["error"]["code"]) == (404, "unknown_member")
