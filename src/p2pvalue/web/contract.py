"""What the OpenAPI document promises beyond what FastAPI derives from the routes, kept in
one place so that every route, present or added later, is described the same way: every
operation's error statuses with the node's error body, the shape of the ids a path names,
and a 405 that names the methods its path allows (the Allow header RFC 9110 requires)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from p2pvalue.events.types import EVENT_ID_PATTERN

ERROR_SCHEMA = "Error"
# Every operation passes through the same layers (body limit, rate limits, bearer tokens,
# the private-space guard, request validation, the write path and its charter checks),
# each of which may refuse with one of these; the body's `code` says which refusal it is.
ERROR_STATUSES: dict[int, str] = {
    400: "Bad request: the body is not JSON, or is refused for a reason no other status names",
    401: "Not authenticated: no, an unknown or an expired bearer token (or node signature)",
    403: "Forbidden: the charter, the node or the resource's owner does not let you do this",
    404: "Not found: no such resource here, or a private space you may not read",
    409: "Conflict: the resource's current state does not allow this",
    413: "Too large: the body, or a part of it, is over its limit",
    422: "Invalid: a parameter, the body or the event it would make is refused",
    429: "Too many requests: slow down; Retry-After, when sent, says for how many seconds",
}
METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
ED25519_DID = r"did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}"  # multicodec 0xed01, base58btc
# For a field whose rule a later layer enforces with its own, more precise code.
A_DID: dict[str, Any] = {"pattern": f"^{ED25519_DID}$"}
DELEGATION_KIND = r"^(\*|[a-z][a-z0-9_-]*)$"  # a kind of proposal, or * for every kind
_ID = {"type": "string", "pattern": EVENT_ID_PATTERN, "minLength": 43, "maxLength": 43}
_DID = {"type": "string", "pattern": f"^{ED25519_DID}$", "minLength": 56, "maxLength": 56}
# The shape of what a path names, by the name of its parameter, unless its route states its
# own: an event id (a space is named by the id of its space.create event), a member's
# did:key, a message's number, a delegation's kind.
NAMING_AN_EVENT = ("space_id", "event_id", "proposal_id", "claim_id", "project_id", "task_id",
                   "thread_id", "post_id", "doc_id")  # fmt: skip
PATH_PARAMETERS: dict[str, dict[str, Any]] = {
    **dict.fromkeys(NAMING_AN_EVENT, _ID),
    "did": _DID,
    "member": _DID,
    "message_id": {"type": "string", "pattern": r"^[0-9]{1,18}$", "maxLength": 18},
    "kind": {"type": "string", "pattern": DELEGATION_KIND, "maxLength": 40},
}


def publish_contract(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document state its error statuses and path shapes, and make its
    405 answers name the allowed methods."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            describe(generate())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_exception_handler(405, _method_not_allowed)  # type: ignore[arg-type]


def describe(document: dict[str, Any]) -> dict[str, Any]:
    """Add the error body, every operation's error statuses and the path parameters' shapes
    to an OpenAPI `document` made by FastAPI (in place; returned for convenience)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = error_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)  # FastAPI's 422 body, which this node never sends
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            _describe_operation(operation)
    return document


def error_schema() -> dict[str, Any]:
    """The body of every refusal: `{"error": {"code": ..., "message": ...}}`."""
    detail = {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "stable, machine-readable reason"},
            "message": {"type": "string", "description": "the reason for people"},
        },
    }
    return {"type": "object", "required": ["error"], "properties": {"error": detail}}


def _describe_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in ERROR_STATUSES.items():
        response = responses.setdefault(str(status), {"description": description})
        response["content"] = {"application/json": {"schema": {"$ref": _ref(ERROR_SCHEMA)}}}
    responses["429"]["headers"] = {
        "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
    }
    for parameter in operation.get("parameters", []):
        shape = PATH_PARAMETERS.get(parameter.get("name", ""))
        schema = parameter.setdefault("schema", {})
        if parameter.get("in") == "path" and shape is not None and "pattern" not in schema:
            schema.update(shape)  # a route that states its own shape keeps it


def _ref(name: str) -> str:
    return f"#/components/schemas/{name}"


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """The methods some route takes at the request's path, sorted. Each route is asked as
    the router asks it, so routers FastAPI includes lazily are asked too."""
    return [
        method
        for method in METHODS
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]


async def _method_not_allowed(request: Request, exc: HTTPException) -> JSONResponse:
    allowed = ", ".join(allowed_methods(request.app.router.routes, request.scope))
    body = {"error": {"code": "method_not_allowed", "message": f"this path allows {allowed}"}}
    return JSONResponse(body, 405, {"Allow": allowed})
