"""`POST /federation/v1/messages` on each backend, played against by an honest node and a
hostile one: a delivery is taken only when signed by a node, for an account here, from the
sender's home as far as this node knows, and signed by the sender; a replay is stored once;
every refusal has its code and stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.event import build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation.signatures import NodeAuth, sign_request
from p2pvalue.node import Node
from p2pvalue.social.messages import MAX_CIPHERTEXT, digest, open_sealed, seal, sign_message
from p2pvalue.store.schema import messages
from web.client import ApiClient, Member, error_code

PATH = "/federation/v1/messages"
SENT_AT = 1_700_000_000_000


def _delivery(sender: KeyPair, to: str, plaintext: bytes = b"hello") -> dict[str, Any]:
    sealed = seal(to, plaintext)
    return {"from": sender.did, "to": to, "ciphertext": b64u(sealed),
            "signature": sign_message(sender, to, sealed), "sent_at": SENT_AT}  # fmt: skip


def _deliver(api: ApiClient, node: KeyPair, body: dict[str, Any]) -> httpx.Response:
    response: httpx.Response = api.http.post(PATH, json=body, auth=NodeAuth(node))
    return response


def _stored(node: Node) -> int:
    with node.engine.begin() as conn:
        return int(conn.scalar(select(func.count()).select_from(messages)) or 0)


def _lives_on(api: ApiClient, founder: Member, member: KeyPair, home: KeyPair) -> None:
    """`member` joins a space here and announces that `home` is their node."""
    space = api.create_space(founder, "Makers")
    for type, content in (
        ("member.join", {}),
        ("member.home", {"node": home.did, "url": "https://home.example"}),
    ):
        response = api.submit(_signed(api, member, space, type, content))
        assert response.status_code == 201, response.text


def _signed(api: ApiClient, key: KeyPair, space: str, type: str, content: Any) -> Any:
    prev, depth = api.tips(space)
    return build_event(key, type, content, space=space, prev=prev, depth=depth).wire


def test_an_honest_delivery_is_stored_once_and_only_the_recipient_opens_it(
    api: ApiClient, node: Node
) -> None:
    ben = api.sign_up("ben")
    ana, anas_node = KeyPair.generate(), KeyPair.generate()
    body = _delivery(ana, ben.did, b"the seed swap is on Sunday")

    first = _deliver(api, anas_node, body)
    again = _deliver(api, anas_node, body)

    sealed = unb64u(body["ciphertext"])
    key = digest(ana.did, ben.did, sealed)
    assert (first.status_code, first.json()) == (201, {"id": key, "status": "stored"})
    assert (again.status_code, again.json()) == (200, {"id": key, "status": "duplicate"})
    [message] = api.http.get("/api/v1/me/messages", headers=ben.auth).json()["messages"]
    assert (message["from"], message["to"], message["sent_at"]) == (ana.did, ben.did, SENT_AT)
    assert open_sealed(api.key_of(ben), unb64u(message["ciphertext"])) == (
        b"the seed swap is on Sunday")  # fmt: skip
    assert _stored(node) == 1


def _forged_node_signature(api: ApiClient, honest: KeyPair, body: dict[str, Any]) -> httpx.Response:
    """Signed by another key, but naming `honest` as the signer."""
    content = orjson.dumps(body)
    url = f"http://testserver{PATH}"
    headers = sign_request(KeyPair.generate(), "POST", url,
                           {"content-type": "application/json"}, content)  # fmt: skip
    signer = headers["Signature-Input"].split('keyid="')[1].split('"')[0]
    headers["Signature-Input"] = headers["Signature-Input"].replace(signer, honest.did)
    response: httpx.Response = api.http.post(PATH, content=content, headers=headers)
    return response


def test_refusals_carry_their_codes_and_store_nothing(api: ApiClient, node: Node) -> None:
    ana_account, ben = api.sign_up("ana"), api.sign_up("ben")
    cyd, cyds_node, hostile = KeyPair.generate(), KeyPair.generate(), KeyPair.generate()
    _lives_on(api, ana_account, cyd, cyds_node)
    honest = _delivery(cyd, ben.did)
    huge = b64u(b"\0" * (MAX_CIPHERTEXT + 1))
    forged_sender = {**honest, "signature": sign_message(hostile, ben.did,
                                                         unb64u(honest["ciphertext"]))}  # fmt: skip
    cases = [
        (_forged_node_signature(api, cyds_node, honest), 401, "bad_signature"),
        (api.http.post(PATH, json=honest), 401, "unsigned_request"),
        (_deliver(api, cyds_node, forged_sender), 422, "bad_sender_signature"),
        (_deliver(api, cyds_node, _delivery(cyd, KeyPair.generate().did)), 404,
         "unknown_recipient"),
        (_deliver(api, cyds_node, {**honest, "ciphertext": huge}), 413, "message_too_large"),
        (_deliver(api, hostile, honest), 403, "not_senders_home"),
        (_deliver(api, cyds_node, _delivery(api.key_of(ana_account), ben.did)), 403,
         "not_senders_home"),
        (_deliver(api, cyds_node, {**honest, "ciphertext": "a+b/"}), 422, "bad_ciphertext"),
        (_deliver(api, cyds_node, {**honest, "from": "did:key:zNope"}), 422, "bad_did"),
        (_deliver(api, cyds_node, {"to": ben.did}), 422, "invalid_request"),
        (_deliver(api, cyds_node, {**honest, "sent_at": "yesterday"}), 422, "invalid_request"),
    ]  # fmt: skip
    for response, status, code in cases:
        assert (response.status_code, error_code(response)) == (status, code), code
    raw = api.http.post(PATH, content=b"{", headers={"content-type": "application/json"},
                        auth=NodeAuth(cyds_node))  # fmt: skip
    assert (raw.status_code, error_code(raw)) == (400, "malformed_json")
    assert _stored(node) == 0

    assert _deliver(api, cyds_node, honest).status_code == 201
    assert _stored(node) == 1
