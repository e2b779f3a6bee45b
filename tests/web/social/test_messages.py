"""Direct messages over HTTP on each backend: a message sealed and signed by one member is
read back and opened by the recipient with their exported key, while the database holds no
trace of the plaintext; refusals carry their codes; the inbox pages newest first."""

from __future__ import annotations

from typing import Any

import httpx
import nacl.public
from sqlalchemy import inspect, text

from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair
from p2pvalue.node import Node
from p2pvalue.social.messages import MAX_CIPHERTEXT, open_sealed, seal, sign_message
from web.client import ApiClient, Member, error_code

PLAINTEXT = b"the spare key is under the third flowerpot"


def _body(sender: KeyPair, to: str, plaintext: bytes) -> dict[str, str]:
    sealed = seal(to, plaintext)
    return {"to": to, "ciphertext": b64u(sealed), "signature": sign_message(sender, to, sealed)}


def _send(api: ApiClient, member: Member, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = api.http.post("/api/v1/messages", json=body, headers=member.auth)
    return response


def _dump(node: Node) -> bytes:
    """Every row of every table, as bytes, for searching."""
    dumped = []
    with node.engine.begin() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                dumped += [v if isinstance(v, bytes) else bytes(v) if isinstance(v, memoryview)
                           else str(v).encode() for v in row]  # fmt: skip
    return b"\n".join(dumped)


def test_a_sealed_message_reaches_the_recipient_and_only_ciphertext_is_stored(
    api: ApiClient, node: Node
) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    ana_key, ben_key = api.key_of(ana), api.key_of(ben)
    published = api.http.get(f"/api/v1/members/{ben.did}/messaging-key").json()
    # Sealed with the published key, as a client that has only the API would.
    box = nacl.public.SealedBox(nacl.public.PublicKey(unb64u(published["key"])))
    sealed = bytes(box.encrypt(PLAINTEXT))
    signature = sign_message(ana_key, ben.did, sealed)
    body = {"to": ben.did, "ciphertext": b64u(sealed), "signature": signature}
    sent = _send(api, ana, body)
    assert sent.status_code == 201, sent.text

    inbox = api.http.get("/api/v1/me/messages", headers=ben.auth).json()
    [message] = inbox["messages"]
    assert (message["from"], message["to"], inbox["next"]) == (ana.did, ben.did, None)
    assert open_sealed(ben_key, unb64u(message["ciphertext"])) == PLAINTEXT
    dump = _dump(node)
    assert sealed in dump
    assert PLAINTEXT not in dump and b64u(PLAINTEXT).encode() not in dump
    assert b"flowerpot" not in dump


def test_refusals(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    ana_key = api.key_of(ana)
    stranger = KeyPair.generate()
    forged = {**_body(ana_key, ben.did, b"hi"), "signature": b64u(stranger.sign(b"other"))}
    not_hers = _body(stranger, ben.did, b"hi")
    huge = b"\0" * (MAX_CIPHERTEXT + 1)
    cases = [
        (ana, forged, 422, "bad_signature"),
        (ana, not_hers, 422, "bad_signature"),
        (ana, _body(ana_key, stranger.did, b"hi"), 404, "unknown_member"),
        (ana, _body(ana_key, ana.did, b"hi"), 422, "message_to_self"),
        (ana, {**not_hers, "ciphertext": b64u(huge)}, 413, "message_too_large"),
        (ana, {**not_hers, "ciphertext": "a+b/"}, 422, "bad_ciphertext"),
        (ana, {**not_hers, "ciphertext": b64u(b"short")}, 422, "bad_ciphertext"),
    ]
    for member, body, status, code in cases:
        response = _send(api, member, body)
        assert (response.status_code, error_code(response)) == (status, code), code
    anonymous = api.http.post("/api/v1/messages", json=not_hers)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    unknown = api.http.get(f"/api/v1/members/{stranger.did}/messaging-key")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_member")
    assert api.http.get("/api/v1/me/messages", headers=ben.auth).json()["messages"] == []


def test_the_inbox_pages_and_removal_erases_when_both_removed(api: ApiClient, node: Node) -> None:
    ana, ben, cyd = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cyd")
    ana_key, cyd_key = api.key_of(ana), api.key_of(cyd)
    ids = [_send(api, ana, _body(ana_key, ben.did, b"n%d" % i)).json()["id"] for i in range(5)]
    from_cyd = _send(api, cyd, _body(cyd_key, ben.did, b"c")).json()["id"]
    url = "/api/v1/me/messages"

    seen, cursor = [], None
    while True:
        params = {"limit": 2, "with": ana.did, **({"before": cursor} if cursor else {})}
        page = api.http.get(url, params=params, headers=ben.auth).json()
        seen += [m["id"] for m in page["messages"]]
        if (cursor := page["next"]) is None:
            break
    assert seen == list(reversed(ids))
    everything = api.http.get(url, headers=ben.auth).json()["messages"]
    assert [m["id"] for m in everything] == [from_cyd, *reversed(ids)]
    bad = api.http.get(url, params={"before": "soon"}, headers=ben.auth)
    assert (bad.status_code, error_code(bad)) == (422, "bad_cursor")

    gone = api.http.delete(f"{url}/{from_cyd}", headers=ben.auth)
    assert gone.json() == {"id": from_cyd, "removed": True, "erased": False}
    assert [m["id"] for m in api.http.get(url, headers=cyd.auth).json()["messages"]] == [from_cyd]
    erased = api.http.delete(f"{url}/{from_cyd}", headers=cyd.auth)
    assert erased.json()["erased"] is True
    with node.engine.begin() as conn:
        assert conn.scalar(text("SELECT count(*) FROM messages")) == 5
    not_yours = api.http.delete(f"{url}/{ids[0]}", headers=cyd.auth)
    assert (not_yours.status_code, error_code(not_yours)) == (404, "unknown_message")
