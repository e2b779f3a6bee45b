"""SQL for live documents' authorship: which member owns each Yjs client id of a document."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, insert, select

from p2pvalue.store.schema import doc_clients


def owners(conn: Connection, doc: str) -> dict[int, str]:
    """Each client id of `doc` and the did of the member who owns it."""
    query = select(doc_clients.c.client, doc_clients.c.did).where(doc_clients.c.doc == doc)
    return {int(row.client): row.did for row in conn.execute(query)}


def claim(conn: Connection, doc: str, clients: Mapping[int, str], at: int) -> None:
    """Record new owners of client ids (the caller has checked none is owned yet)."""
    rows = [{"doc": doc, "client": c, "did": d, "first_seen": at} for c, d in clients.items()]
    if rows:
        conn.execute(insert(doc_clients), rows)
