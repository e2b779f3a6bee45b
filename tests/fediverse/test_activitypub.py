"""A Mastodon user follows a community (on SQLite and PostgreSQL): two real servers on
loopback, this node's app under uvicorn and a Mastodon-like server whose inboxes verify
every signature with an independent implementation of the cavage draft.

The user finds the group by WebFinger, reads its actor document, sends a signed Follow and
receives a signed Accept; then every post and decision of the space reaches their server as
the group's Announce; an Undo stops it. Requests with bad or stale signatures, or
activities the group does not take, are refused with their codes, logged, and store
nothing.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from clock import MovableClock, advance
from conftest import LIGHT_HASHING
from fediverse import cavage
from fediverse.servers import Mastodon
from p2pvalue.accounts import Account
from p2pvalue.config import init_data_dir
from p2pvalue.fediverse.keys import KEY_FILE
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from p2pvalue.outbound import LOOPBACK
from p2pvalue.store import activitypub as store
from p2pvalue.web.app import create_app
from serving import loopback, served, url_of

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
HOUR = 3_600_000
MINUTE = 60_000


@dataclass
class Community:
    """A node serving an open space, and a Mastodon-like server next to it."""

    node: Node
    url: str
    space: str
    ann: Account
    remote: Mastodon

    @property
    def group(self) -> str:
        return f"{self.url}/ap/spaces/{self.space}"

    def get(self, url: str) -> httpx.Response:
        return httpx.get(url, headers={"Accept": ACTIVITY_JSON}, timeout=30)

    def follow(self, name: str = "alice", number: int = 1) -> dict[str, Any]:
        actor = self.remote.actor(name)
        activity = {"@context": AS, "id": f"{actor}/follows/{number}", "type": "Follow",
                    "actor": actor, "object": self.group}  # fmt: skip
        response = self.remote.post(name, f"{self.group}/inbox", activity)
        assert (response.status_code, response.json()) == (202, {"status": "followed"})
        return activity

    def counts(self) -> tuple[int, int]:
        """(follows stored, deliveries waiting)."""
        with self.node.engine.begin() as conn:
            return store.follower_count(conn), store.waiting(conn)


def _open_charter() -> dict[str, Any]:
    charter = default_charter("open")
    charter["decisions"] = {"default": {"method": "majority", "window_hours": 1}}
    return charter


@pytest.fixture
def community(tmp_path: Path, database_url: str | None) -> Iterator[Community]:
    ours, theirs = loopback(), loopback()
    # The Mastodon-like server is on loopback: this node is told it may go there.
    config = init_data_dir(tmp_path / "node", database_url, public_url=url_of(ours),
                           outbound_allow=LOOPBACK)  # fmt: skip
    remote = Mastodon(url_of(theirs), {"alice": cavage.new_key(), "mallory": cavage.new_key()})
    with Node(config, password_hasher=LIGHT_HASHING, clock=MovableClock()) as node:
        app = create_app(node)
        with served(remote.app(), theirs), served(app, ours) as url:
            ann = node.accounts.register("ann", "correct horse")
            space = str(node.create_space(ann, "Open Commons", charter=_open_charter()).id)
            yield Community(node, url, space, ann, remote)


def test_webfinger_and_the_group_actor_describe_the_community(community: Community) -> None:
    host = community.url.removeprefix("http://")
    found = httpx.get(f"{community.url}/.well-known/webfinger",
                      params={"resource": f"acct:open-commons@{host}"})  # fmt: skip
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/jrd+json"
    jrd = found.json()
    assert jrd["subject"] == f"acct:open-commons@{host}"
    assert {"rel": "self", "type": ACTIVITY_JSON, "href": community.group} in jrd["links"]

    response = community.get(community.group)
    assert response.headers["content-type"] == ACTIVITY_JSON
    actor = response.json()
    assert actor["@context"] == [AS, SECURITY]
    assert (actor["id"], actor["type"], actor["preferredUsername"], actor["name"]) == (
        community.group, "Group", "open-commons", "Open Commons")  # fmt: skip
    assert actor["inbox"] == f"{community.group}/inbox"
    assert actor["outbox"] == f"{community.group}/outbox"
    assert actor["followers"] == f"{community.group}/followers"
    assert actor["endpoints"] == {"sharedInbox": f"{community.url}/ap/inbox"}
    key = actor["publicKey"]
    assert (key["id"], key["owner"]) == (f"{community.group}#main-key", community.group)
    public = serialization.load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048

    key_file = community.node.config.data_dir / KEY_FILE
    assert key_file.stat().st_mode & 0o777 == 0o600
    private = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.public_key().public_numbers() == public.public_numbers()


def test_a_mastodon_user_follows_and_receives_posts_and_decisions(community: Community) -> None:
    remote, node, ann = community.remote, community.node, community.ann
    follow = community.follow()

    accept = remote.wait_for(lambda r: r.activity["type"] == "Accept")
    assert accept.problem is None
    assert accept.path == "/users/alice/inbox"
    assert (accept.activity["actor"], accept.activity["object"]["id"]) == (
        community.group, follow["id"])  # fmt: skip
    # The node fetched alice's key with a GET signed by its own actor, which verified.
    assert ("/users/alice", None) in remote.fetches
    assert community.get(f"{community.group}/followers").json()["totalItems"] == 1

    posted = node.act(ann, community.space, "post.create", {"text": "Hello, fediverse!\n\nA <b>"})
    announce = remote.wait_for(lambda r: r.activity["type"] == "Announce")
    assert announce.problem is None
    assert announce.path == "/inbox"  # the shared inbox stands for all its followers
    created = announce.activity["object"]
    note = created["object"]
    member = f"{community.url}/ap/members/{ann.did}"
    assert (announce.activity["actor"], created["type"], created["actor"]) == (
        community.group, "Create", member)  # fmt: skip
    assert note["id"] == f"{community.url}/ap/objects/{posted.id}"
    assert note["content"] == "<p>Hello, fediverse!</p><p>A &lt;b&gt;</p>"
    assert (note["attributedTo"], note["audience"], note["to"]) == (
        member, community.group, [PUBLIC])  # fmt: skip

    # What Mastodon reads to show the boost: the Create at its id, and its author.
    assert community.get(created["id"]).json()["object"] == note
    person = community.get(member).json()
    assert (person["type"], person["name"]) == ("Person", "ann")
    host = community.url.removeprefix("http://")
    resource = f"acct:{person['preferredUsername']}@{host}"
    jrd = httpx.get(f"{community.url}/.well-known/webfinger", params={"resource": resource})
    assert jrd.json()["links"][0]["href"] == member

    proposal = {"title": "Adopt a code of conduct", "action": {"type": "text"}}
    made = node.service(Governance).propose(ann, community.space, proposal)
    node.service(Governance).keep_deadlines()  # ann, the founder, keeps time: the window starts
    node.service(Governance).vote(ann, community.space, str(made.id), {"choice": "yes"})
    advance(node, HOUR + MINUTE)
    assert node.service(Governance).keep_deadlines() == 1
    decision = remote.wait_for(lambda r: "Decision" in str(r.activity))
    assert decision.problem is None
    decided = decision.activity["object"]["object"]
    assert decided["content"] == "<p>Decision: <strong>Adopt a code of conduct</strong> passed.</p>"
    assert decided["attributedTo"] == community.group

    outbox = community.get(f"{community.group}/outbox").json()
    assert (outbox["type"], outbox["totalItems"]) == ("OrderedCollection", 2)
    page = community.get(outbox["first"]).json()
    contents = [a["object"]["object"]["content"] for a in page["orderedItems"]]
    assert contents == [decided["content"], note["content"]]

    embedded = {k: v for k, v in follow.items() if k != "@context"}
    undo = {"@context": AS, "id": f"{follow['id']}/undo", "type": "Undo",
            "actor": follow["actor"], "object": embedded}  # fmt: skip
    response = remote.post("alice", f"{community.url}/ap/inbox", undo)
    assert (response.status_code, response.json()) == (202, {"status": "unfollowed"})
    assert community.counts()[0] == 0
    node.act(ann, community.space, "post.create", {"text": "Nobody follows now"})
    assert community.counts() == (0, 0)


def test_an_erased_post_is_deleted_from_the_fediverse(community: Community) -> None:
    remote, node, ann = community.remote, community.node, community.ann
    community.follow()
    posted = node.act(ann, community.space, "post.create", {"text": "A regrettable post"})
    remote.wait_for(lambda r: r.activity["type"] == "Announce")

    node.act(ann, community.space, "content.erase", {"events": [posted.id]})

    deleted = remote.wait_for(lambda r: r.activity["type"] == "Delete")
    note = f"{community.url}/ap/objects/{posted.id}"
    assert deleted.problem is None  # signed as the author, whose key alice's server fetched
    assert deleted.activity["actor"] == f"{community.url}/ap/members/{ann.did}"
    assert deleted.activity["object"] == {"id": note, "type": "Tombstone"}
    gone = community.get(note)
    assert (gone.status_code, gone.json()["type"]) == (410, "Tombstone")


def _refusals(community: Community) -> list[tuple[str, httpx.Response]]:
    remote, inbox = community.remote, f"{community.group}/inbox"
    follow = {"@context": AS, "id": f"{remote.actor('alice')}/follows/9", "type": "Follow",
              "actor": remote.actor("alice"), "object": community.group}  # fmt: skip
    body = orjson.dumps(follow)
    alice = remote.keys["alice"]
    sent: list[tuple[str, httpx.Response]] = []

    def post(code: str, headers: dict[str, str], content: bytes = body) -> None:
        sent.append((code, httpx.post(inbox, content=content, headers=headers, timeout=30)))

    def signed(**options: Any) -> dict[str, str]:
        return cavage.sign_request(alice, remote.key_id("alice"), "POST", inbox, body, **options)

    post("unsigned_activity", {"Content-Type": ACTIVITY_JSON, "Date": signed()["Date"]})
    post("stale_activity", signed(date=time.time() - 600))
    post("stale_activity", signed(date=time.time() + 600))
    post("digest_mismatch", signed(), body.replace(b"follows/9", b"follows/8"))
    post("incomplete_signature", signed(covered=("(request-target)", "host", "date")))
    post("bad_activity_signature", signed(algorithm="hmac-sha256"))
    forged = cavage.sign_request(remote.keys["mallory"], remote.key_id("alice"), "POST", inbox,
                                 body)  # fmt: skip
    post("bad_activity_signature", forged)
    elsewhere = cavage.sign_request(alice, remote.key_id("alice"), "POST",
                                    f"{community.url}/ap/inbox", body)  # fmt: skip
    post("bad_activity_signature", elsewhere)
    post("unknown_actor_key", cavage.sign_request(
        alice, f"{remote.url}/users/nobody#main-key", "POST", inbox, body))  # fmt: skip
    as_mallory = {**follow, "actor": remote.actor("mallory")}
    sent.append(("actor_mismatch", remote.post("alice", inbox, as_mallory)))
    like = {**follow, "type": "Like"}
    sent.append(("unsupported_activity", remote.post("alice", inbox, like)))
    elsewhere_group = {**follow, "object": f"{community.url}/ap/spaces/{'A' * 43}"}
    sent.append(("unknown_group", remote.post("alice", inbox, elsewhere_group)))
    no_id = {k: v for k, v in follow.items() if k != "id"}
    sent.append(("malformed_activity", remote.post("alice", inbox, no_id)))
    return sent


STATUSES = {"digest_mismatch": 400, "malformed_activity": 400, "unsupported_activity": 422,
            "unknown_group": 404}  # fmt: skip


def test_bad_stale_and_unsigned_activities_are_refused_and_store_nothing(
    community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("WARNING", logger="p2pvalue.web.fediverse.api")
    before = community.counts()

    sent = _refusals(community)

    for code, response in sent:
        assert (code, response.status_code) == (code, STATUSES.get(code, 401))
        assert response.json()["error"]["code"] == code
    logged = [r.getMessage() for r in caplog.records if "refused an activity" in r.getMessage()]
    assert [m.split(": ")[1].split(" ")[0] for m in logged] == [code for code, _ in sent]
    assert community.counts() == before == (0, 0)
    assert community.remote.received == []


def test_a_private_space_has_no_actor(community: Community) -> None:
    node, ann = community.node, community.ann
    private = str(node.create_space(ann, "Back Office", membership="invite").id)
    host = community.url.removeprefix("http://")

    actor = community.get(f"{community.url}/ap/spaces/{private}")
    found = httpx.get(f"{community.url}/.well-known/webfinger",
                      params={"resource": f"acct:back-office@{host}"})  # fmt: skip
    follow = {"@context": AS, "id": f"{community.remote.actor('alice')}/follows/3",
              "type": "Follow", "actor": community.remote.actor("alice"),
              "object": f"{community.url}/ap/spaces/{private}"}  # fmt: skip
    asked = community.remote.post("alice", f"{community.url}/ap/inbox", follow)

    assert (actor.status_code, actor.json()["error"]["code"]) == (404, "unknown_group")
    assert (found.status_code, found.json()["error"]["code"]) == (404, "unknown_resource")
    assert (asked.status_code, asked.json()["error"]["code"]) == (404, "unknown_group")
    assert community.counts() == (0, 0)


def test_without_a_public_url_there_is_no_fediverse(sqlite_node: Node) -> None:
    account = sqlite_node.accounts.register("ann", "correct horse")
    space = str(sqlite_node.create_space(account, "Open Commons").id)
    with TestClient(create_app(sqlite_node)) as client:
        answers = [
            client.get("/.well-known/webfinger", params={"resource": "acct:open-commons@x"}),
            client.get(f"/ap/spaces/{space}"),
            client.get(f"/ap/spaces/{space}/outbox"),
            client.post(f"/ap/spaces/{space}/inbox", content=b"{}"),
            client.post("/ap/inbox", content=b"{}"),
        ]
    assert [(a.status_code, a.json()["error"]["code"]) for a in answers] == [
        (404, "activitypub_disabled")] * 5  # fmt: skip
    assert not (sqlite_node.config.data_dir / KEY_FILE).exists()


def test_an_undo_naming_the_follow_by_its_id_unfollows_once(community: Community) -> None:
    follow = community.follow("mallory", 7)
    undo = {"@context": AS, "id": f"{follow['id']}/undo", "type": "Undo",
            "actor": follow["actor"], "object": follow["id"]}  # fmt: skip

    first = community.remote.post("mallory", f"{community.group}/inbox", undo)
    again = community.remote.post("mallory", f"{community.group}/inbox", undo)

    assert (first.status_code, first.json()) == (202, {"status": "unfollowed"})
    assert (again.status_code, again.json()) == (202, {"status": "not_following"})
    assert community.counts()[0] == 0


def test_the_outbox_pages_newest_first_and_unknown_things_are_404(community: Community) -> None:
    node, ann, space = community.node, community.ann, community.space
    node.writer.act_many(space, [(node.accounts.key_of(ann), "post.create", {"text": f"n{i}"})
                                 for i in range(21)])  # fmt: skip

    first = community.get(f"{community.group}/outbox?page=true").json()
    second = community.get(first["next"]).json()

    assert [a["object"]["object"]["content"] for a in first["orderedItems"]][:2] == [
        "<p>n20</p>", "<p>n19</p>"]  # fmt: skip
    assert len(first["orderedItems"]) == 20
    assert [a["object"]["object"]["content"] for a in second["orderedItems"]] == ["<p>n0</p>"]
    assert "next" not in second
    join = node.events(space)[0].id  # the space.create: no public object
    answers = {
        "bad_resource": httpx.get(f"{community.url}/.well-known/webfinger"),
        "unknown_object": community.get(f"{community.url}/ap/objects/{join}"),
        "unknown_member": community.get(f"{community.url}/ap/members/did:key:z6Mkz"),
    }
    assert {code: (r.status_code, r.json()["error"]["code"]) for code, r in answers.items()} == {
        "bad_resource": (400, "bad_resource"), "unknown_object": (404, "unknown_object"),
        "unknown_member": (404, "unknown_member")}  # fmt: skip


def test_a_follower_receives_a_thread_and_its_replies_as_notes(community: Community) -> None:
    remote, node, ann, space = community.remote, community.node, community.ann, community.space
    community.follow()
    opening = {"on": {"kind": "space"}, "title": "Which <editor>?", "text": "Tell us."}
    thread = str(node.act(ann, space, "thread.create", opening).id)
    post = str(node.act(ann, space, "thread.reply", {"thread": thread, "text": "Vim."}).id)

    def note_of(event_id: str) -> dict[str, Any]:
        id_ = f"{community.url}/ap/objects/{event_id}"
        found = remote.wait_for(lambda r: r.activity["type"] == "Announce"
                                and r.activity["object"]["object"]["id"] == id_)  # fmt: skip
        assert found.problem is None
        assert found.activity["actor"] == community.group
        return dict(found.activity["object"]["object"])

    opened, answered = note_of(thread), note_of(post)
    member = f"{community.url}/ap/members/{ann.did}"
    assert (opened["type"], opened["attributedTo"], opened["name"]) == (
        "Note", member, "Which <editor>?")  # fmt: skip
    assert opened["content"] == "<p><strong>Which &lt;editor&gt;?</strong></p><p>Tell us.</p>"
    assert "inReplyTo" not in opened
    assert (answered["content"], answered["inReplyTo"]) == ("<p>Vim.</p>", opened["id"])
    assert "name" not in answered
    served_notes = [community.get(note["id"]) for note in (opened, answered)]
    assert [(r.status_code, r.json()["content"]) for r in served_notes] == [
        (200, opened["content"]), (200, answered["content"])]  # fmt: skip
    assert served_notes[1].json()["inReplyTo"] == opened["id"]
    assert community.get(f"{community.group}/outbox").json()["totalItems"] == 2

    node.act(ann, space, "content.erase", {"events": [post]})
    deleted = remote.wait_for(lambda r: r.activity["type"] == "Delete")
    assert deleted.activity["object"] == {"id": answered["id"], "type": "Tombstone"}
    assert community.get(answered["id"]).status_code == 410
