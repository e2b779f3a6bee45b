"""Direct messages between members of two real nodes on loopback: a message sealed on one
node reaches its recipient on the other, and only they can open it; a message sent while
the recipient's node is down (and the sender's node restarted meanwhile) arrives once both
are back; neither node's database holds a trace of a plaintext."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nacl.exceptions
import pytest
from sqlalchemy import create_engine, inspect, text

from federation.cluster import PASSWORD, NodeProcess, running, wait_for
from p2pvalue.events.canonical import b64u, unb64u
from p2pvalue.events.keys import KeyPair, messaging_key
from p2pvalue.social.messages import open_sealed, seal, sign_message

pytestmark = pytest.mark.slow
SECRETS = (b"the spare key is under the third flowerpot", b"and the code is 4-8-1-5")


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    with running(tmp_path, "north", "east") as (north, east):
        yield north, east


def _key(node: NodeProcess, username: str) -> KeyPair:
    exported = node.http.post("/api/v1/accounts/me/key", json={"password": PASSWORD},
                              headers=node.auth(username))  # fmt: skip
    return KeyPair(unb64u(exported.json()["seed"]))


def _send(node: NodeProcess, username: str, key: KeyPair, to: str, text: bytes) -> Any:
    published = node.http.get(f"/api/v1/members/{to}/messaging-key").json()
    assert unb64u(published["key"]) == messaging_key(to)
    sealed = seal(to, text)
    body = {"to": to, "ciphertext": b64u(sealed), "signature": sign_message(key, to, sealed)}
    sent = node.http.post("/api/v1/messages", json=body, headers=node.auth(username))
    assert sent.status_code == 201, sent.text
    return sent.json()


def _inbox(node: NodeProcess, username: str) -> list[Any]:
    found: list[Any] = node.http.get("/api/v1/me/messages", headers=node.auth(username)).json()[
        "messages"
    ]
    return found


def _dump(node: NodeProcess) -> bytes:
    """Every row of every table of a node's database, as bytes, for searching."""
    engine = create_engine(f"sqlite:///{node.data / 'p2pvalue.db'}")
    dumped: list[bytes] = []
    try:
        with engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                    dumped += [v if isinstance(v, bytes) else str(v).encode() for v in row]
    finally:
        engine.dispose()
    return b"\n".join(dumped)


def test_a_message_crosses_nodes_survives_downtime_and_stays_sealed(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    north, east = nodes
    north.sign_up("ana")
    ben = east.sign_up("ben")
    space = north.create_space("ana", "Seed library")
    east.replicate(space, north)
    wait_for(lambda: east.holds(space), what="east to hold the space")
    east.act("ben", space, "member.join", {})
    wait_for(lambda: any(e["type"] == "member.home" and e["author"] == ben
                         for e in north.http.get(f"/api/v1/spaces/{space}/events",
                                                 params={"limit": 500}).json()["events"]),
             what="north to learn where ben lives")  # fmt: skip
    ana_key, ben_key = _key(north, "ana"), _key(east, "ben")

    first = _send(north, "ana", ana_key, ben, SECRETS[0])
    assert first["delivery"] == "queued"
    wait_for(lambda: len(_inbox(east, "ben")) == 1, what="the message at east")
    [received] = _inbox(east, "ben")
    assert (received["from"], received["to"]) == (ana_key.did, ben)
    assert open_sealed(ben_key, unb64u(received["ciphertext"])) == SECRETS[0]
    with pytest.raises(nacl.exceptions.CryptoError):
        open_sealed(ana_key, unb64u(received["ciphertext"]))
    wait_for(lambda: _inbox(north, "ana")[0]["delivery"] == "delivered", what="delivered")

    east.stop()
    second = _send(north, "ana", ana_key, ben, SECRETS[1])
    assert second["delivery"] == "queued"
    north.stop()  # the queued message waits in north's database
    east.start()
    north.start()
    wait_for(lambda: len(_inbox(east, "ben")) == 2, 60, "the second message after the restarts")
    latest = _inbox(east, "ben")[0]
    assert open_sealed(ben_key, unb64u(latest["ciphertext"])) == SECRETS[1]
    assert [m["delivery"] for m in _inbox(north, "ana")] == ["delivered", "delivered"]

    for node in (north, east):
        dump = _dump(node)
        assert unb64u(first["ciphertext"]) in dump
        for secret in SECRETS:
            assert secret not in dump and b64u(secret).encode() not in dump
        assert b"flowerpot" not in dump and b"4-8-1-5" not in dump
