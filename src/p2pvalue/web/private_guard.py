"""Who may see a private space through the API and the pages: its members and invitees.

One dependency of the whole app looks at what a request names (a space, or an event,
proposal, task, thread, post, project or document, whose space it looks up) and answers
404 `unknown_space` to anyone else, as if the space were not here. Node-to-node requests
(`/federation/`) carry sealed events only and are checked by node signature instead; live
document sockets check membership themselves.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request

from p2pvalue.errors import NotFound
from p2pvalue.web.auth import node_of, optional_account

NAMING_AN_EVENT = ("event_id", "proposal_id", "task_id", "thread_id", "post_id", "project_id",
                   "doc_id", "doc")  # fmt: skip


def private_spaces(connection: HTTPConnection) -> None:
    if connection.scope["type"] != "http" or connection.url.path.startswith("/federation/"):
        return
    request = Request(connection.scope)
    params = request.path_params
    node = node_of(request)
    space = params.get("space_id")
    if space is None:
        named = next((params[name] for name in NAMING_AN_EVENT if name in params), None)
        space = node.space_of(named) if named is not None else None
    if space is None:
        return
    account = optional_account(request)
    if not node.can_read(space, account.did if account else None):
        raise NotFound("unknown_space", f"no space {space!r} on this node")
