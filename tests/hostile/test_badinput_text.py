"""Text no node can keep, sent to the real app on SQLite and PostgreSQL: a lone surrogate
in any JSON string, NUL in JSON, forms, paths and queries. Each is a precise 422
`invalid_text`, and nothing is written."""

from __future__ import annotations

import pytest

from hostile.accounts_fixtures import http_api_fixture  # noqa: F401
from p2pvalue.node import Node
from web.client import PASSWORD, ApiClient, error_code

JSON = {"content-type": "application/json"}
SURROGATE = "\\ud800"  # as the JSON escape: the six characters \ud800
NUL = "\\u0000"


def _post_raw(
    http_api: ApiClient, path: str, body: str, headers: dict[str, str]
) -> tuple[int, str]:
    response = http_api.http.post(path, content=body.encode(), headers={**JSON, **headers})
    code = error_code(response) if response.status_code >= 400 else ""
    return response.status_code, code


@pytest.mark.parametrize("bad", [SURROGATE, NUL, "\\udc00", "\\ud800\\u0041"])
def test_bad_text_in_any_json_string_is_a_precise_422(http_api: ApiClient, bad: str) -> None:
    alice = http_api.sign_up("alice")
    space = http_api.create_space(alice)
    before = http_api.count(space)
    post = f'{{"type": "post.create", "content": {{"text": "a{bad}b"}}}}'
    assert _post_raw(http_api, f"/api/v1/spaces/{space}/actions", post, alice.auth) == (
        422, "invalid_text",
    )  # fmt: skip
    nested = f'{{"type": "post.create", "content": {{"text": "x", "k{bad}": ["{bad}"]}}}}'
    assert _post_raw(http_api, f"/api/v1/spaces/{space}/actions", nested, alice.auth)[0] == 422
    named = f'{{"name": "Commons{bad}"}}'
    assert _post_raw(http_api, "/api/v1/spaces", named, alice.auth) == (422, "invalid_text")
    login = f'{{"username": "alice{bad}", "password": "{PASSWORD}"}}'
    assert _post_raw(http_api, "/api/v1/sessions", login, {}) == (422, "invalid_text")
    submitted = f'{{"v": 1, "space": "{space}", "type": "post.create{bad}"}}'
    assert _post_raw(http_api, "/api/v1/events", submitted, alice.auth) == (422, "invalid_text")
    assert http_api.count(space) == before


def test_text_that_only_looks_like_an_escape_and_real_pairs_are_kept(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    space = http_api.create_space(alice)
    # A backslash typed before "u0000", and an emoji written as its surrogate pair.
    body = '{"type": "post.create", "content": {"text": "C:\\\\u0000 and \\ud83d\\ude00"}}'
    posted = http_api.http.post(
        f"/api/v1/spaces/{space}/actions", content=body.encode(), headers={**JSON, **alice.auth}
    )
    assert posted.status_code == 201, posted.text
    assert http_api.log(space)[-1]["content"]["text"] == "C:\\u0000 and \U0001f600"


def test_nul_in_a_path_a_query_or_a_form_is_a_precise_422(http_api: ApiClient) -> None:
    alice = http_api.sign_up("alice")
    space = http_api.create_space(alice)
    for path in ("/api/v1/spaces/%00", "/api/v1/events/a%00b", f"/spaces/{space}%00"):
        answered = http_api.http.get(path)
        assert (answered.status_code, error_code(answered)) == (422, "invalid_text"), path
    listed = http_api.http.get(f"/api/v1/spaces/{space}/events", params={"after": "\x00"})
    assert (listed.status_code, error_code(listed)) == (422, "invalid_text")
    form = http_api.http.post("/login", data={"username": "alice\x00", "password": PASSWORD})
    assert (form.status_code, error_code(form)) == (422, "invalid_text")
    signup = http_api.http.post("/signup", data={"username": "mallory", "password": "x\x00" * 8})
    assert signup.status_code == 422
    assert http_api.http.post("/api/v1/sessions", json={"username": "mallory", "password": "x"}
                         ).status_code == 401  # fmt: skip


def test_an_event_from_another_node_with_a_lone_surrogate_is_refused_not_a_crash(
    node: Node,
) -> None:
    """Events pulled from a peer reach the write path without the web's guard: the
    canonical encoding refuses the text itself."""
    alice = node.accounts.register("alice", PASSWORD)
    space = node.create_space(alice, "Commons").id
    assert space is not None
    wire = dict(node.event(space).wire)
    for bad in ("\ud800", "a\x00b"):
        forged = {**wire, "content": {**wire["content"], "description": bad}}
        outcome = node.ingest([forged], hold_missing=True, origin="https://peer.example")[0]
        assert (outcome.status, outcome.code, outcome.http_status) == (
            "refused", "invalid_text", 422,
        )  # fmt: skip
    assert node.space(space).events == 1
