"""A private space across three real nodes: the founder's, a stranger's with no member on
it, and an invited member's node that copies the space from the founder's. The stranger is
given nothing; the member's node, which carries its invitee's proof until they live there,
reads all of it once the key wrapped for its member arrives; after a removal the key
rotates and the founder's node sends the removed member's node nothing more."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from federation.cluster import ADMIN, NodeProcess, running, wait_for
from p2pvalue.config import init_data_dir
from p2pvalue.errors import P2PError
from p2pvalue.federation import joining
from p2pvalue.node import Node

pytestmark = pytest.mark.slow
SECRETS = ("Hidden seed bank", "germination notes", "ben's seed list", "after ben left")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[list[NodeProcess]]:
    with running(tmp_path, "north", "relay", "east") as nodes:
        yield nodes


def _plaintext(node: NodeProcess) -> list[str]:
    """Where any of the secrets appears in the node's data folder, read as its operator
    would: every row of every table of its database, and every byte of every file."""
    found = []
    with sqlite3.connect(node.data / "p2pvalue.db") as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                found += [f"{s} in {table}" for s in SECRETS if s.encode() in repr(row).encode()]
    for path in node.data.rglob("*"):
        raw = path.read_bytes() if path.is_file() else b""
        found += [f"{s} in {path.name}" for s in SECRETS if s.encode() in raw]
    return found


def _stored(node: NodeProcess, space: str) -> int:
    with sqlite3.connect(node.data / "p2pvalue.db") as db:
        found = db.execute("SELECT count(*) FROM events WHERE space = ?", (space,)).fetchone()
    return int(found[0])


def _holds(node: NodeProcess, event: str) -> bool:
    with sqlite3.connect(node.data / "p2pvalue.db") as db:
        return db.execute("SELECT 1 FROM events WHERE id = ?", (event,)).fetchone() is not None


def _texts(node: NodeProcess, username: str, space: str) -> list[str]:
    page = node.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 500},
                         headers=node.auth(username))  # fmt: skip
    if page.status_code != 200:
        return []
    return [e["content"]["text"] for e in page.json()["events"] if e["type"] == "post.create"]


def test_a_private_space_goes_only_to_nodes_its_members_live_on(
    cluster: list[NodeProcess],
) -> None:
    north, stranger, east = cluster
    north.sign_up("ana")
    ben = east.sign_up(ADMIN)  # an invitee who runs their own node
    created = north.http.post(
        "/api/v1/spaces", headers=north.auth("ana"),
        json={"name": "Hidden seed bank", "membership": "invite", "private": True},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    space = created.json()["id"]
    north.act("ana", space, "post.create", {"text": "germination notes"})
    north.act("ana", space, "member.invite", {"member": ben})

    stranger.replicate(space, north)  # its admin is no member: north gives it nothing
    east.replicate(space, north)  # east's admin is the invitee, and vouches for east
    wait_for(lambda: _texts(east, ADMIN, space) == ["germination notes"], what="east to read")
    wait_for(lambda: "private_space" in north.log.read_text(), what="north to refuse")
    assert _stored(stranger, space) == 0

    east.act(ADMIN, space, "member.join", {})
    east.act(ADMIN, space, "post.create", {"text": "ben's seed list"})
    wait_for(lambda: "ben's seed list" in _texts(north, "ana", space), what="north to read ben")
    assert _stored(stranger, space) == 0 and _plaintext(stranger) == []

    removal = north.act("ana", space, "member.remove", {"member": ben})
    after = north.act("ana", space, "post.create", {"text": "after ben left"})
    wait_for(lambda: _holds(east, removal), what="east to be sent the removal")
    time.sleep(2)  # what north would push after the removal, it would have pushed by now
    assert not _holds(east, after)
    assert "after ben left" not in _texts(east, ADMIN, space)
    assert not [where for where in _plaintext(east) if where.startswith("after ben left")]


def test_no_node_is_given_a_summary_of_a_private_space(tmp_path: Path) -> None:
    """The provisional view a joining node shows of a public space comes partly from the
    holder's summary; of a private space there is none to give."""
    with Node(init_data_dir(tmp_path / "holder")) as node:
        ana = node.accounts.register("ana", "a long password")
        space = node.create_space(ana, "Hidden", membership="invite", private=True).id
        public = node.create_space(ana, "Open").id
        assert space is not None and public is not None
        assert joining.report_of(node.wiring, public)["name"] == "Open"
        with pytest.raises(P2PError) as refused:
            joining.report_of(node.wiring, space)
        assert (refused.value.code, refused.value.status) == ("private_space", 403)
