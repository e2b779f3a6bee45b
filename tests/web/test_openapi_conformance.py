"""schemathesis, with every check it has, against the node's own /openapi.json, served by
`p2pvalue serve`, as a member with a bearer token and a space of their own: it finds nothing.

The run is bounded (a few examples an operation) and deterministic (a fixed seed), so that
it takes about a minute and fails the same way each time it fails.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from federation.cluster import STARTUP_SECONDS, free_port, wait_for
from p2pvalue.events.types import EVENT_ID_PATTERN
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from p2pvalue.web.contract import ERROR_SCHEMA, ERROR_STATUSES
from web.client import ApiClient, Member

with warnings.catch_warnings():
    # Starlette asks for httpx2; the project pins httpx, which still works.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

SEED = 13
MAX_EXAMPLES = 8
# positive_data_acceptance expects a schema-valid request to pass; 422 is also this node's
# answer to content that fits the schema but breaks a rule no schema states (a did:key that
# holds no Ed25519 key, an action the charter refuses, a rule across fields), so it counts.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


@dataclass(frozen=True)
class ServedNode:
    url: str
    member: Member
    space: str


@pytest.fixture
def served_node(node: Node) -> Iterator[ServedNode]:
    """The node, served by `p2pvalue serve` in a process of its own (as deployed; and so
    that no thread of it parses Python while the test's Hypothesis does, which CPython 3.11
    before 3.11.8 can get wrong), with a member, their token and a space they founded."""
    api = ApiClient(TestClient(create_app(node)))
    member = api.sign_up("ada")
    space = api.create_space(member)
    port = free_port()
    log = node.config.data_dir / "serve.log"
    command = [sys.executable, "-m", "p2pvalue", "serve", "--data", str(node.config.data_dir),
               "--port", str(port)]  # fmt: skip
    with log.open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url, server, log), STARTUP_SECONDS, "the node to start")
        yield ServedNode(url, member, space)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _healthy(url: str, server: subprocess.Popen[bytes], log: Path) -> bool:
    if server.poll() is not None:
        raise AssertionError(f"the node exited: {log.read_text()[-2000:]}")
    try:
        return httpx.get(f"{url}/healthz").status_code == 200
    except httpx.HTTPError:
        return False


def config(served: ServedNode) -> SchemathesisConfig:
    """All checks and phases; the member's token on every request; the space named in most
    paths is theirs, so that operations on it do real work rather than answer 404."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "workers": 1,
            "headers": {"Authorization": f"Bearer {served.member.token}"},
            "parameters": {"path.space_id": served.space},
            "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True},
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES},
            },
            # Location-header inference scans response bodies for URLs and crashes on an
            # echoed string such as "http://[" (schemathesis 4.32); links are still inferred
            # from the schema by dependency analysis.
            "phases": {"stateful": {"inference": {"algorithms": ["dependency-analysis"]}}},
        }
    )


def findings(served: ServedNode) -> list[str]:
    """Every failed check and engine error of one schemathesis run, one line each."""
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json", config=config(served))
    found: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished | events.FuzzScenarioFinished):
            found.update(_failed_checks(event.recorder.checks))
        elif isinstance(event, events.NonFatalError):
            found.add(f"error in {event.label}: {event.value!r}")
        elif isinstance(event, events.FatalError):
            found.add(f"fatal: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            found.update(f"{f.operation}: {f.title}: {f.message}" for f in event.failures)
    return sorted(found)


def _failed_checks(checks: Any) -> Iterator[str]:
    for nodes in checks.values():
        for check in nodes:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                request = check.failure_info.code_sample.splitlines()[-1]
                status = getattr(failure, "status_code", "")
                yield f"{failure.operation}: {check.name} ({status}): {failure.message}\n{request}"


def test_schemathesis_finds_nothing(served_node: ServedNode) -> None:
    found = findings(served_node)
    assert not found, f"{len(found)} finding(s):\n" + "\n".join(found)


def test_every_operation_documents_every_error_status(api: ApiClient) -> None:
    document = api.http.get("/openapi.json").json()
    error = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    operations = [op for ops in document["paths"].values() for op in ops.values()]
    assert len(operations) > 90
    for operation in operations:
        responses = operation["responses"]
        for status in ERROR_STATUSES:
            assert responses[str(status)]["content"]["application/json"]["schema"] == error
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_path_parameters_state_their_shape(api: ApiClient) -> None:
    paths = api.http.get("/openapi.json").json()["paths"]
    [space] = paths["/api/v1/spaces/{space_id}/proposals/{proposal_id}"]["get"]["parameters"][:1]
    assert space["schema"]["pattern"] == EVENT_ID_PATTERN
    [member] = paths["/api/v1/me/follows/members/{did}"]["put"]["parameters"]
    assert member["schema"]["pattern"].startswith("^did:key:z6Mk")


def test_a_method_a_path_lacks_is_answered_405_with_the_methods_it_has(api: ApiClient) -> None:
    answer = api.http.request("OPTIONS", "/api/v1/spaces")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET, POST"
    assert answer.json()["error"]["code"] == "method_not_allowed"
    profile = api.http.request("PATCH", f"/api/v1/members/{api.sign_up('ada').did}/profile")
    assert (profile.status_code, profile.headers["allow"]) == (405, "DELETE, GET, PUT")
