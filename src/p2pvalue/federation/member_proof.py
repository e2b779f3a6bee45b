"""A member's word that a node asks for a private space on their behalf.

A private space's log goes only to nodes a member or invitee of it lives on. The log names
a member's node once they announce it (`member.home`); an invitee's node, which must copy
the log before its member can join, carries instead a proof in the `P2P-Member-Proof`
header: the member's did and their signature over the asking node's did and the space.
It is bound to that node (the request's own signature says who asks) and that space, so
no other node can use it, and only the holder of the member's key can make it.
"""

from __future__ import annotations

from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair, verify

HEADER = "P2P-Member-Proof"
MAX_LENGTH = 300


def signed_text(node: str, space: str) -> bytes:
    return f"p2pvalue member proof\n{node}\n{space}".encode()


def prove(member: KeyPair, node: str, space: str) -> str:
    """The header value by which `member` vouches that `node` asks for `space` for them."""
    return f"{member.did} {b64u(member.sign(signed_text(node, space)))}"


def proven_member(value: str | None, node: str, space: str) -> str | None:
    """The did a proof was signed by, if it is a valid proof for `node` and `space`."""
    if not value or len(value) > MAX_LENGTH:
        return None
    did, _, signature = value.partition(" ")
    try:
        return did if verify(did, signed_text(node, space), unb64u(signature)) else None
    except (ValueError, TypeError):
        return None
