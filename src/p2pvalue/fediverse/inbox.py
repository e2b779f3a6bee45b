"""What a Group's inbox takes: a request signed by its actor (draft-cavage rsa-sha256 as
Mastodon signs, or RFC 9421 `Signature-Input`/`Signature`), holding
a `Follow` of a group or the `Undo` of one. Everything else is refused with a precise code
before anything is stored.

The checks run cheapest first: the signature is there, well-formed and covers
`(request-target) host date digest` (RFC 9421: `@method`, the target and
`content-digest`); the Date (`created`) is within five minutes; the digest matches the
body; then the key is fetched (or taken from the cache) and the signature checked; then
the activity must be well-formed, by the key's owner, and of a kind the group handles.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric import rsa

from p2pvalue.errors import P2PError, Unauthorized
from p2pvalue.fediverse import message_signatures as rfc9421
from p2pvalue.fediverse.remote import MAX_URL, RemoteActor, RemoteActors
from p2pvalue.fediverse.signatures import check_request, verify

MAX_ACTIVITY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Incoming:
    """An inbox request as the signature covers it: `target` is its `(request-target)`,
    `url` the URL the sender addressed (the node's public scheme and host, the raw path and
    query), `headers` are keyed by lowercase name, with `host` the node's public host."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: bytes
    url: str = ""


@dataclass(frozen=True)
class FollowRequest:
    """A `Follow` of the group `group` (an IRI), as received."""

    group: str
    follow: Mapping[str, Any]


@dataclass(frozen=True)
class Unfollow:
    """An `Undo` of a follow: of `group` when the undone Follow is embedded, else of the
    follow whose id is `follow_id`."""

    group: str | None
    follow_id: str


async def verified(
    incoming: Incoming, actors: RemoteActors, now: datetime
) -> tuple[RemoteActor, dict[str, Any]]:
    """The signing actor and the activity of an inbox request, once its signature and the
    activity's author check out; a P2PError refusing it otherwise."""
    key_id, holds = _checked_signature(incoming, now)
    actor = await actors.by_key(key_id)
    if not holds(actor.public_key):
        if actors.fetched_recently(key_id):
            raise _bad_signature()
        # The actor may have changed its key since it was cached: ask once more.
        actor = await actors.by_key(key_id, fresh=True)
        if not holds(actor.public_key):
            raise _bad_signature()
    activity = parse_activity(incoming.body)
    if id_of(activity.get("actor")) != actor.id:
        raise Unauthorized(
            "actor_mismatch", f"the activity's actor is not {actor.id}, who signed it"
        )
    return actor, activity


def _checked_signature(
    incoming: Incoming, now: datetime
) -> tuple[str, Callable[[rsa.RSAPublicKey], bool]]:
    """The key id a request's signature names, and whether it holds under a key; in
    whichever form the request is signed, checked up to the key."""
    method, headers = incoming.method, incoming.headers
    if rfc9421.is_message_signed(headers):
        signed = rfc9421.check_message(headers, incoming.body, now)
        return signed.key_id, lambda key: rfc9421.verify_message(
            signed, method, incoming.url, headers, key
        )
    signature = check_request(method, incoming.target, headers, incoming.body, now)
    return signature.key_id, lambda key: verify(signature, incoming.target, headers, key)


def parse_activity(body: bytes) -> dict[str, Any]:
    """The activity in a request body: a JSON object with a type and an actor."""
    if len(body) > MAX_ACTIVITY_BYTES:
        raise _malformed(f"an activity is at most {MAX_ACTIVITY_BYTES} bytes")
    try:
        activity = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise _malformed("the body is not JSON") from None
    if not isinstance(activity, dict):
        raise _malformed("the body is not a JSON object")
    if not isinstance(activity.get("type"), str) or id_of(activity.get("actor")) is None:
        raise _malformed("an activity has a type and an actor")
    return activity


def interpret(activity: Mapping[str, Any]) -> FollowRequest | Unfollow:
    """What the group is asked to do: follow, or stop; `unsupported_activity` for any
    other activity (a Like, an Announce, a Follow of nothing here, …)."""
    kind = activity["type"]
    if kind == "Follow":
        return FollowRequest(_follow_target(activity), _follow_of(activity))
    if kind == "Undo":
        undone = activity.get("object")
        if isinstance(undone, str) and len(undone) <= MAX_URL:
            return Unfollow(None, undone)
        if isinstance(undone, dict) and undone.get("type") == "Follow":
            if id_of(undone.get("actor")) != id_of(activity.get("actor")):
                raise _malformed("an Undo undoes a Follow of its own actor")
            return Unfollow(_follow_target(undone), _follow_of(undone)["id"])
        raise P2PError("unsupported_activity", "only the Undo of a Follow is handled", 422)
    raise P2PError("unsupported_activity", f"a group takes Follow and Undo, not {kind!r}", 422)


def id_of(value: Any) -> str | None:
    """The IRI of a reference: the string itself, or an embedded object's `id`."""
    found = value.get("id") if isinstance(value, dict) else value
    return found if isinstance(found, str) and 0 < len(found) <= MAX_URL else None


def _follow_of(follow: Mapping[str, Any]) -> dict[str, Any]:
    if id_of(follow.get("id")) is None:
        raise _malformed("a Follow has an id")
    return {k: v for k, v in follow.items() if k != "@context"}


def _follow_target(follow: Mapping[str, Any]) -> str:
    target = id_of(follow.get("object"))
    if target is None:
        raise _malformed("a Follow names what it follows")
    return target


def _bad_signature() -> Unauthorized:
    return Unauthorized(
        "bad_activity_signature", "the signature does not match this request and key"
    )


def _malformed(message: str) -> P2PError:
    return P2PError("malformed_activity", message, 400)
