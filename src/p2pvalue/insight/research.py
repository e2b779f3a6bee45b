"""Anonymised exports for research: a space's collaboration network (GraphML) and its
activity (CSV), with members named by stable pseudonyms, only where the charter allows it.

A pseudonym is a keyed hash (BLAKE2b) of the member's did under a secret of the space: the
same member gets the same pseudonym in every export, and anyone who does not hold the secret
cannot find who is behind one by hashing the dids they know.
"""

from __future__ import annotations

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from p2pvalue.events.charter import Charter
from p2pvalue.insight.network import Network
from p2pvalue.insight.timeline import Contribution, period_of

SECTION = "research"
PSEUDONYM_BYTES = 8


class ResearchPolicy(BaseModel):
    """The charter's research section: whether members may export the space's anonymised
    network and activity. Off unless the charter says so; amended like any section."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    export: bool = Field(default=False)


def research_policy(charter: Charter) -> ResearchPolicy:
    """A charter's research section (the default, export off, when it has none)."""
    policy: ResearchPolicy | None = charter.sections.get(SECTION)
    return policy or ResearchPolicy()


def space_secret(node_seed: bytes, space: str) -> bytes:
    """The space's pseudonym secret, derived from this node's secret key: never stored,
    never shown, the same on every export from this node."""
    return hashlib.blake2b(space.encode(), key=node_seed[:64], person=b"p2pv-pseudonym").digest()


def pseudonym(secret: bytes, did: str) -> str:
    """The member's stable pseudonym in the space whose secret is `secret`."""
    digest = hashlib.blake2b(did.encode(), key=secret[:64], digest_size=PSEUDONYM_BYTES)
    return "m-" + digest.hexdigest()


def graphml(network: Network, places: Mapping[str, str], secret: bytes) -> str:
    """The network as GraphML, its nodes named by pseudonym, with each one's core number
    and place, and each edge's weight."""
    graph = network.graph()
    cores = network.coreness()
    graph.vs["name"] = [pseudonym(secret, did) for did in network.people]
    graph.vs["coreness"] = [cores[did] for did in network.people]
    graph.vs["place"] = [places[did] for did in network.people]
    with tempfile.TemporaryDirectory() as folder:  # igraph writes to a real file only
        path = Path(folder) / "network.graphml"
        graph.write_graphml(str(path))
        return path.read_text("utf-8")


def activity_csv(made: Iterable[Contribution], secret: bytes) -> str:
    """Every contribution as a row: pseudonym, kind, day (UTC) and ISO week it counts in."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["member", "kind", "day", "week"])
    for contribution in made:
        day = datetime.fromtimestamp(contribution.at / 1000, UTC).date().isoformat()
        writer.writerow([pseudonym(secret, contribution.author), contribution.kind, day,
                         period_of(contribution.at, "week")])  # fmt: skip
    return buffer.getvalue()


def rows_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A table as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(list(header))
    writer.writerows(rows)
    return buffer.getvalue()
