"""The application around the routes: health, the OpenAPI document, body limits, error shape."""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.metadata import version

import pytest

from p2pvalue.node import Node
from p2pvalue.web.app import MAX_REQUEST_BYTES
from web.client import ApiClient, error_code

JSON = {"content-type": "application/json"}


def test_healthz_names_the_node_and_its_version(api: ApiClient, node: Node) -> None:
    health = api.http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {
        "status": "ok", "node": node.did, "version": version("p2pvalue"),
        "worker": os.getpid(), "leads": True,  # alone on SQLite, it does the background work
    }  # fmt: skip
    assert node.did.startswith("did:key:z6Mk")


def test_openapi_lists_the_api_and_not_the_pages(api: ApiClient) -> None:
    document = api.http.get("/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert {
        "/api/v1/accounts",
        "/api/v1/sessions",
        "/api/v1/accounts/me",
        "/api/v1/accounts/me/key",
        "/api/v1/spaces",
        "/api/v1/spaces/{space_id}",
        "/api/v1/spaces/{space_id}/members",
        "/api/v1/spaces/{space_id}/actions",
        "/api/v1/spaces/{space_id}/events",
        "/api/v1/events",
        "/api/v1/events/{event_id}",
    } <= set(paths)
    assert "post" in paths["/api/v1/events"]
    assert not {p for p in paths if p.startswith(("/signup", "/login", "/spaces"))}


def test_a_declared_body_over_1_mib_is_413(api: ApiClient) -> None:
    refused = api.http.post("/api/v1/events", content=b" " * (MAX_REQUEST_BYTES + 1), headers=JSON)
    assert (refused.status_code, error_code(refused)) == (413, "request_too_large")


def test_a_body_of_exactly_1_mib_is_read(api: ApiClient) -> None:
    body = b"{}" + b" " * (MAX_REQUEST_BYTES - 2)
    token = api.sign_up("alice").auth
    read = api.http.post("/api/v1/events", content=body, headers={**JSON, **token})
    assert (read.status_code, error_code(read)) == (422, "malformed_event")


def _chunks(total: int) -> Iterator[bytes]:
    """A streamed (chunked, no Content-Length) JSON body of `total` bytes."""
    yield b'{"username": "'
    yield b"a" * (total - 16)
    yield b'"}'


def test_a_streamed_event_body_over_1_mib_is_413(api: ApiClient) -> None:
    refused = api.http.post("/api/v1/events", content=_chunks(MAX_REQUEST_BYTES + 64), headers=JSON)
    assert (refused.status_code, error_code(refused)) == (413, "request_too_large")


def test_a_streamed_model_body_over_1_mib_is_413(api: ApiClient) -> None:
    refused = api.http.post(
        "/api/v1/accounts", content=_chunks(MAX_REQUEST_BYTES + 64), headers=JSON
    )
    assert refused.status_code == 413, refused.text
    assert error_code(refused) == "request_too_large"


def test_a_malformed_json_model_body_is_400(api: ApiClient) -> None:
    broken = api.http.post("/api/v1/accounts", content=b'{"username": ', headers=JSON)
    assert (broken.status_code, error_code(broken)) == (400, "malformed_json")


def test_a_missing_field_is_invalid_request(api: ApiClient) -> None:
    refused = api.http.post("/api/v1/accounts", json={"username": "alice"})
    assert (refused.status_code, error_code(refused)) == (422, "invalid_request")
    assert "password" in refused.json()["error"]["message"]


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/api/v1/nowhere"), ("PUT", "/api/v1/events")]
)
def test_routing_errors_have_the_error_shape(api: ApiClient, method: str, path: str) -> None:
    answer = api.http.request(method, path)
    assert answer.status_code in (404, 405)
    assert "error" in answer.json(), answer.text
    assert isinstance(error_code(answer), str)
