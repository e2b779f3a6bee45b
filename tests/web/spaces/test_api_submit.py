"""POST /api/v1/events: events signed by the client, checked and ingested by the node.

Every refusal must leave the space's log as it was; a refusal on authority is the one kind
of "no" that is stored, as a rejected event kept for audit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from p2pvalue.events.event import Event, build_event, now_ms
from p2pvalue.events.keys import KeyPair
from p2pvalue.governance.templates import default_charter
from web.client import ApiClient, error_code

UNKNOWN_ID = "A" * 43
Wire = dict[str, Any]


@dataclass(frozen=True)
class Space:
    """A space founded by alice through the API, and alice's exported key."""

    api: ApiClient
    id: str
    alice: KeyPair

    def sign(
        self, key: KeyPair | None = None, type: str = "post.create", content: Wire | None = None
    ) -> Event:
        """An event on the space's current tips, signed by `key` (alice by default)."""
        prev, depth = self.api.tips(self.id)
        body = {"text": "hello"} if content is None else content
        return build_event(key or self.alice, type, body, space=self.id, prev=prev, depth=depth)


@pytest.fixture
def space(api: ApiClient) -> Space:
    alice = api.sign_up("alice")
    return Space(api, api.create_space(alice), api.key_of(alice))


def test_a_members_signed_event_is_accepted(space: Space) -> None:
    event = space.sign(content={"text": "signed at home"})
    accepted = space.api.submit(event.wire)
    assert accepted.status_code == 201
    assert accepted.json() == {"status": "accepted", "id": event.id, "space": space.id}
    stored = space.api.http.get(f"/api/v1/events/{event.id}").json()
    assert (stored["accepted"], stored["author"]) == (True, space.alice.did)
    assert stored["event"] == event.wire
    assert space.api.count(space.id) == 2


def test_the_same_event_twice_is_a_duplicate(space: Space) -> None:
    event = space.sign()
    assert space.api.submit(event.wire).status_code == 201
    again = space.api.submit(event.wire)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "id": event.id, "space": space.id}
    assert space.api.count(space.id) == 2


def test_a_claimed_id_that_matches_is_accepted(space: Space) -> None:
    event = space.sign()
    assert space.api.submit({**event.wire, "id": event.id}).status_code == 201


def test_malformed_json_is_400(space: Space) -> None:
    assert space.api.submitter is not None
    headers = {"content-type": "application/json", **space.api.submitter.auth}
    broken = space.api.http.post("/api/v1/events", content=b'{"v": 1,', headers=headers)
    assert (broken.status_code, error_code(broken)) == (400, "malformed_json")
    assert space.api.count(space.id) == 1


def test_a_batch_answers_one_result_per_event(space: Space) -> None:
    good = space.sign(content={"text": "one"})
    forged = {**space.sign(content={"text": "two"}).wire, "sig": good.wire["sig"]}
    answered = space.api.submit([good.wire, good.wire, forged, {"v": 1}])
    assert answered.status_code == 200
    results = answered.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate", "refused", "refused"]
    assert [r.get("code") for r in results] == [None, None, "bad_signature", "malformed_event"]
    assert results[0]["id"] == good.id
    assert space.api.count(space.id) == 2


def test_an_empty_batch_is_an_empty_answer(space: Space) -> None:
    answered = space.api.submit([])
    assert (answered.status_code, answered.json()) == (200, {"results": []})


def test_a_batch_over_100_is_refused_whole(space: Space) -> None:
    event = space.sign()
    refused = space.api.submit([event.wire] * 101)
    assert (refused.status_code, error_code(refused)) == (413, "batch_too_large")
    assert space.api.count(space.id) == 1


def _wrong_signature(space: Space) -> Wire:
    stranger = build_event(KeyPair.generate(), "post.create", {"text": "hi"}, space=space.id,
                           prev=[space.id], depth=1)  # fmt: skip
    return {**stranger.wire, "author": space.alice.did}


def _altered_content(space: Space) -> Wire:
    return {**space.sign(content={"text": "I agree"}).wire, "content": {"text": "I object"}}


def _wrong_id(space: Space) -> Wire:
    return {**space.sign().wire, "id": space.id}


def _unknown_prev(space: Space) -> Wire:
    return build_event(space.alice, "post.create", {"text": "hi"}, space=space.id,
                       prev=[UNKNOWN_ID], depth=1).wire  # fmt: skip


def _float_in_content(space: Space) -> Wire:
    return {**space.sign().wire, "content": {"text": "hi", "weight": 0.5}}


def _too_large(space: Space) -> Wire:
    return space.sign(content={"text": "x" * 70_000}).wire


def _from_the_future(space: Space) -> Wire:
    prev, depth = space.api.tips(space.id)
    later = now_ms() + 10 * 60 * 1000
    return build_event(space.alice, "post.create", {"text": "hi"}, space=space.id, prev=prev,
                       depth=depth, ts=later).wire  # fmt: skip


def _unknown_space(space: Space) -> Wire:
    return build_event(space.alice, "post.create", {"text": "hi"}, space=UNKNOWN_ID,
                       prev=[space.id], depth=1).wire  # fmt: skip


def _unknown_type(space: Space) -> Wire:
    return space.sign(type="proposal.teleport", content={"to": "moon"}).wire


def _invalid_content(space: Space) -> Wire:
    return space.sign(content={"body": "text is called text"}).wire


def _fields_missing(space: Space) -> Wire:
    return {"v": 1, "space": space.id, "type": "post.create", "content": {"text": "hi"}}


REFUSALS = [
    pytest.param(_wrong_signature, 422, "bad_signature", id="wrong signature"),
    pytest.param(_altered_content, 422, "content_hash_mismatch", id="altered content"),
    pytest.param(_wrong_id, 422, "id_mismatch", id="wrong id"),
    pytest.param(_unknown_prev, 422, "unknown_prev", id="prev points nowhere"),
    pytest.param(_float_in_content, 422, "float_in_signed_content", id="float in content"),
    pytest.param(_too_large, 413, "event_too_large", id="over 64 KiB"),
    pytest.param(_from_the_future, 422, "timestamp_in_future", id="ts 10 minutes ahead"),
    pytest.param(_unknown_space, 404, "unknown_space", id="unknown space"),
    pytest.param(_unknown_type, 422, "unknown_event_type", id="unknown type"),
    pytest.param(_invalid_content, 422, "invalid_content", id="content off schema"),
    pytest.param(_fields_missing, 422, "malformed_event", id="fields missing"),
]


@pytest.mark.parametrize(("make", "status", "code"), REFUSALS)
def test_a_faulty_event_is_refused_and_nothing_stored(
    space: Space, make: Callable[[Space], Wire], status: int, code: str
) -> None:
    before = space.api.log(space.id)
    refused = space.api.submit(make(space))
    assert (refused.status_code, refused.json().get("status")) == (status, "refused")
    assert error_code(refused) == code
    assert space.api.log(space.id) == before
    assert space.api.count(space.id) == len(before) == 1


def test_the_refused_space_stays_unknown(space: Space) -> None:
    space.api.submit(_unknown_space(space))
    missing = space.api.http.get(f"/api/v1/spaces/{UNKNOWN_ID}")
    assert (missing.status_code, error_code(missing)) == (404, "unknown_space")


def test_a_non_members_signed_post_is_refused_and_kept_as_rejected(space: Space) -> None:
    stranger = KeyPair.generate()
    event = space.sign(stranger, content={"text": "let me in"})
    refused = space.api.submit(event.wire)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "not_authorized"
    assert refused.json()["error"]["reason"] == "not_a_member"
    assert (refused.json()["status"], refused.json()["id"]) == ("rejected", event.id)
    stored = space.api.http.get(f"/api/v1/events/{event.id}").json()
    assert (stored["accepted"], stored["reason"], stored["author"]) == (
        False, "not_a_member", stranger.did,
    )  # fmt: skip
    assert space.api.count(space.id) == 2
    again = space.api.submit(event.wire)
    assert (again.status_code, again.json()["status"]) == (200, "duplicate")


def test_a_stranger_who_joins_by_signed_event_may_then_post(space: Space) -> None:
    stranger = KeyPair.generate()
    joined = space.api.submit(space.sign(stranger, "member.join", {}).wire)
    assert joined.status_code == 201, joined.text
    posted = space.api.submit(space.sign(stranger, content={"text": "hello from elsewhere"}).wire)
    assert posted.status_code == 201, posted.text
    members = space.api.http.get(f"/api/v1/spaces/{space.id}/members").json()["members"]
    assert stranger.did in {m["did"] for m in members}


def test_submitting_needs_a_token_and_founding_needs_ones_own_key(space: Space) -> None:
    anonymous = space.api.http.post("/api/v1/events", json={"v": 1})
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    content = {"name": "Elsewhere", "charter": default_charter()}
    founding = build_event(KeyPair.generate(), "space.create", content, space=None)
    refused = space.api.submit(founding.wire)
    assert (refused.status_code, error_code(refused)) == (403, "not_your_space")
