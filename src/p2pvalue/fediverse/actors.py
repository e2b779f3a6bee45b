"""The node's ActivityPub actors as documents, and their names: pure functions of the
node's public URL, its spaces and its public key.

- each public space is a `Group` at `/ap/spaces/{space}`, named by a slug of its name
  that is unique on the node (`open-commons`, or `open-commons-1a2b3c4d` for a later
  space of the same name);
- each member who writes in a public space is a `Person` at `/ap/members/{did}`, named
  `member.{16 hex digits}` (a dot: never a group's slug), so Mastodon can show who wrote;
- the node itself is an `Application` at `/ap/actor`, named `node.actor`, that signs the
  node's requests for actor documents (instances in authorized-fetch mode ask for them).

Every actor publishes the node's one RSA key, under its own key id `{actor}#main-key`.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

AS = "https://www.w3.org/ns/activitystreams"
SECURITY = "https://w3id.org/security/v1"
CONTEXT = [AS, SECURITY]
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"
JRD_JSON = "application/jrd+json"
APPLICATION_HANDLE = "node.actor"
MEMBER_PREFIX = "member."
MAX_SLUG = 40
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Urls:
    """The IRIs of a node's ActivityPub objects, under its public URL `base`."""

    base: str

    @property
    def host(self) -> str:
        """The host (and port, if not the default) that handles are `@` of."""
        return urlsplit(self.base).netloc

    @property
    def application(self) -> str:
        return f"{self.base}/ap/actor"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/ap/inbox"

    def group(self, space: str) -> str:
        return f"{self.base}/ap/spaces/{space}"

    def member(self, did: str) -> str:
        return f"{self.base}/ap/members/{did}"

    def member_outbox(self, did: str) -> str:
        return f"{self.member(did)}/outbox"

    def note(self, event_id: str) -> str:
        return f"{self.base}/ap/objects/{event_id}"

    def create(self, event_id: str) -> str:
        return f"{self.base}/ap/activities/{event_id}"

    def announce(self, event_id: str) -> str:
        return f"{self.base}/ap/activities/{event_id}/announce"

    def page(self, space: str) -> str:
        return f"{self.base}/spaces/{space}"


def is_public(summary: Any) -> bool:
    """Whether a space is public, so its Group actor exists and its posts federate: its
    charter lets anyone join (`membership` `open`). The one place this is decided."""
    return getattr(summary, "membership", None) == "open"


def slug(name: str) -> str:
    """A lowercase ASCII slug of a space's name (`Open Commons!` → `open-commons`)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    words = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return words[:MAX_SLUG].strip("-") or "space"


def group_handles(spaces: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A handle for each (space id, name), unique on the node: the slug of the name, or, for
    a space whose slug an earlier one took, the slug and 8 hex digits of its id. `spaces`
    come in creation order, so a space keeps its handle while its name stays."""
    handles: dict[str, str] = {}
    taken: set[str] = set()
    for space, name in spaces:
        handle = slug(name)
        if handle in taken:
            handle = f"{handle}-{hashlib.sha256(space.encode()).hexdigest()[:8]}"
        taken.add(handle)
        handles[space] = handle
    return handles


def member_handle(did: str) -> str:
    """A member's handle: `member.` and 16 hex digits of the SHA-256 of their did."""
    return MEMBER_PREFIX + hashlib.sha256(did.encode()).hexdigest()[:16]


def _public_key(actor: str, pem: str) -> dict[str, str]:
    return {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": pem}


def group_actor(urls: Urls, space: str, handle: str, name: str, description: str,
                pem: str) -> dict[str, Any]:  # fmt: skip
    """The `Group` actor of a public space (FEP-1b12): it accepts follows at once and
    announces the space's public posts and decisions to its followers."""
    actor = urls.group(space)
    return {
        "@context": CONTEXT,
        "id": actor,
        "type": "Group",
        "preferredUsername": handle,
        "name": name,
        "summary": paragraphs(description),
        "url": urls.page(space),
        "inbox": f"{actor}/inbox",
        "outbox": f"{actor}/outbox",
        "followers": f"{actor}/followers",
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": False,
        "discoverable": True,
        "publicKey": _public_key(actor, pem),
    }


def person_actor(urls: Urls, did: str, name: str, pem: str) -> dict[str, Any]:
    """The `Person` a member's posts are attributed to; its inbox takes nothing but is
    there because Mastodon requires one; its outbox holds their public posts."""
    actor = urls.member(did)
    return {
        "@context": CONTEXT,
        "id": actor,
        "type": "Person",
        "preferredUsername": member_handle(did),
        "name": name,
        "summary": paragraphs(f"A member of communities on {urls.host} ({did})."),
        "inbox": urls.shared_inbox,
        "outbox": urls.member_outbox(did),
        "endpoints": {"sharedInbox": urls.shared_inbox},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "publicKey": _public_key(actor, pem),
    }


def application_actor(urls: Urls, pem: str) -> dict[str, Any]:
    """The node's own actor, which signs the node's requests for other actors' documents."""
    actor = urls.application
    return {
        "@context": CONTEXT,
        "id": actor,
        "type": "Application",
        "preferredUsername": APPLICATION_HANDLE,
        "name": f"p2pvalue node {urls.host}",
        "inbox": urls.shared_inbox,
        "manuallyApprovesFollowers": True,
        "publicKey": _public_key(actor, pem),
    }


def webfinger(urls: Urls, handle: str, actor: str, page: str | None) -> dict[str, Any]:
    """The JRD (RFC 7033) that resolves `acct:{handle}@{host}` to `actor`."""
    links: list[dict[str, str]] = [{"rel": "self", "type": ACTIVITY_JSON, "href": actor}]
    if page is not None:
        links.append({"rel": "http://webfinger.net/rel/profile-page", "type": "text/html",
                      "href": page})  # fmt: skip
    return {"subject": f"acct:{handle}@{urls.host}", "aliases": [actor], "links": links}


def acct_handle(resource: str, host: str) -> str | None:
    """The handle of an `acct:handle@host` resource of this host (a leading `@` allowed);
    None when it names another host or is not an acct URI."""
    if not resource.startswith("acct:"):
        return None
    handle, at, where = resource[5:].lstrip("@").rpartition("@")
    if not at or not handle or where.lower() != host.lower():
        return None
    return handle.lower()


def paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs, every character escaped; lines kept as `<br>`."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in block.splitlines()) + "</p>"
        for block in blocks
    )
