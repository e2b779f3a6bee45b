"""Refuse text no node can keep: NUL anywhere in a request, a lone surrogate in its JSON.

PostgreSQL's text cannot hold NUL (SQLite's can), and a lone UTF-16 surrogate is not
Unicode at all, so neither can be signed, stored or shown alike everywhere. They are
refused at the door with one precise answer (422 `invalid_text`) on every backend, before
any route reads the request, rather than failing deep inside a query or an encoder.
"""

from __future__ import annotations

import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# In a JSON body: an escaped backslash (skipped, so that `\\u0000` is text, not NUL) or a
# \u escape, whose four hex digits are checked.
_ESCAPE = re.compile(rb"\\\\|\\u([0-9a-fA-F]{4})")
_CHECKED = (b"application/json", b"application/x-www-form-urlencoded")
LONE_SURROGATE = "a string holds a lone surrogate, which is not Unicode"


def json_text_problem(body: bytes) -> str | None:
    """What is wrong with the text of a JSON body (NUL, or a surrogate escape that is not
    one half of a pair), or None; the body's syntax is left to the parser."""
    if b"\\u" not in body:
        return None
    high_ends = -1  # where the escape of a high surrogate waiting for its low half ends
    for match in _ESCAPE.finditer(body):
        code = int(match.group(1), 16) if match.group(1) else -1
        if code == 0:
            return "a string holds a NUL character (\\u0000)"
        paired = high_ends == match.start()
        if high_ends != -1 and not (paired and 0xDC00 <= code <= 0xDFFF):
            return LONE_SURROGATE
        if 0xDC00 <= code <= 0xDFFF and not paired:
            return LONE_SURROGATE
        high_ends = match.end() if 0xD800 <= code <= 0xDBFF else -1
    return LONE_SURROGATE if high_ends != -1 else None


def form_text_problem(body: bytes) -> str | None:
    """What is wrong with the text of a form body: NUL (`%00`), or None."""
    return "a field holds a NUL character" if b"%00" in body or b"\x00" in body else None


def url_text_problem(scope: Scope) -> str | None:
    """NUL in the request's path or query string, or None."""
    if "\x00" in scope.get("path", ""):
        return "the path holds a NUL character"
    query: bytes = scope.get("query_string", b"")
    if b"%00" in query or b"\x00" in query:
        return "the query holds a NUL character"
    return None


class TextGuard:
    """Answer 422 `invalid_text` to a request whose URL or form holds NUL, or whose JSON
    body holds NUL or a lone surrogate; let every other request through unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = url_text_problem(scope)
        kind = _content_type(scope)
        if problem is None and scope["type"] == "http" and kind in _CHECKED:
            messages = await _read_all(receive)
            body = b"".join(m.get("body", b"") for m in messages)
            check = json_text_problem if kind == _CHECKED[0] else form_text_problem
            problem = check(body)
            receive = _replay(messages, receive)
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": problem})
        else:
            await _refuse(problem, scope, receive, send)


def _content_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value).split(b";")[0].strip().lower()
    return b""


async def _read_all(receive: Receive) -> list[Message]:
    """The request's messages up to the end of its body (BodyLimit, outside, bounds it)."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body"):
            return messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return replay


async def _refuse(problem: str, scope: Scope, receive: Receive, send: Send) -> None:
    body = {"error": {"code": "invalid_text", "message": problem}}
    await JSONResponse(body, status_code=422)(scope, receive, send)
