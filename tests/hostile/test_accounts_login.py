"""Logging in under attack, against the real app: user enumeration by timing, guessing a
member's password (per-account lockout, shared by every worker), and login CSRF."""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from conftest import LIGHT_HASHING
from p2pvalue.config import Rate, RateLimits, init_data_dir
from p2pvalue.node import Node
from p2pvalue.web.app import create_app
from serving import loopback, served
from web.client import PASSWORD

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

FOREIGN = {"origin": "https://evil.example"}
# Costs that make a hash take a few milliseconds: far above the request's other work, as
# the default costs are in production, without slowing the suite much.
TIMED_HASHING = PasswordHasher(time_cost=2, memory_cost=16 * 1024, parallelism=1)


def _node(
    tmp_path: Path, url: str | None, hasher: PasswordHasher, free: int = 5, lockout_s: int = 30,
    longest_s: int = 3600,
) -> Node:  # fmt: skip
    # Request-rate limits stay out of the way: these tests count the account's lockout.
    patient = RateLimits(logins_per_ip=Rate(1000, 1000), logins_per_username=Rate(1000, 1000))
    config = replace(init_data_dir(tmp_path / "node", url), login_free_failures=free,
                     login_lockout_s=lockout_s, login_lockout_max_s=longest_s,
                     limits=patient)  # fmt: skip
    return Node(config, password_hasher=hasher)


@pytest.fixture
def client(tmp_path: Path, database_url: str | None) -> Iterator[TestClient]:
    """The app of a node that locks a name for two seconds, then four, at most eight."""
    with _node(tmp_path, database_url, LIGHT_HASHING, lockout_s=2, longest_s=8) as node:
        node.accounts.register("alice", PASSWORD)
        with TestClient(create_app(node)) as http:
            yield http


@pytest.fixture
def patient(tmp_path: Path, database_url: str | None) -> Iterator[TestClient]:
    """The app of a node with the default lockout (30 s at first)."""
    with _node(tmp_path, database_url, LIGHT_HASHING) as node:
        node.accounts.register("alice", PASSWORD)
        with TestClient(create_app(node)) as http:
            yield http


def api_login(http: TestClient | httpx.Client, name: str, password: str) -> httpx.Response:
    response: httpx.Response = http.post(
        "/api/v1/sessions", json={"username": name, "password": password}
    )
    return response


def page_login(http: TestClient, name: str, password: str) -> httpx.Response:
    response: httpx.Response = http.post(
        "/login", data={"username": name, "password": password}, follow_redirects=False
    )
    return response


@pytest.mark.parametrize("login", [api_login, page_login], ids=["api", "page"])
def test_an_unknown_name_costs_what_a_real_one_does(
    tmp_path: Path, login: Callable[[TestClient, str, str], httpx.Response]
) -> None:
    with _node(tmp_path, None, TIMED_HASHING, free=1000) as node:
        node.accounts.register("alice", PASSWORD)
        with TestClient(create_app(node)) as http:
            known: list[float] = []
            unknown: list[float] = []
            for attempt in range(11):
                for name, times in (("alice", known), (f"nobody{attempt}", unknown)):
                    started = time.perf_counter()
                    assert login(http, name, "not the password").status_code == 401
                    times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2, f"unknown/known login time: {ratio:.2f}"


def test_guessing_locks_the_name_with_429_and_retry_after_real_or_not(
    patient: TestClient,
) -> None:
    def waited(since: float) -> int:
        """The whole seconds a lock that began after `since` has run at most (a loaded
        machine takes a while to hash each guess)."""
        return math.ceil(time.monotonic() - since)

    began: dict[str, float] = {}
    for name in ("alice", "nobody"):
        answers = [api_login(patient, name, f"guess number {n}").status_code for n in range(4)]
        began[name] = time.monotonic()
        answers.append(api_login(patient, name, "guess number 4").status_code)
        assert answers == [401] * 5
        locked = api_login(patient, name, PASSWORD)
        assert locked.status_code == 429
        assert locked.json()["error"]["code"] == "login_locked"
        assert 29 - waited(began[name]) <= int(locked.headers["retry-after"]) <= 30
    page = page_login(patient, "alice", PASSWORD)
    assert page.status_code == 429
    assert 29 - waited(began["alice"]) <= int(page.headers["retry-after"]) <= 30
    assert "Too many failed logins for this account. Please try again in " in page.text
    assert 'value="alice"' in page.text
    assert "set-cookie" not in page.headers


def test_the_lock_ends_and_a_success_clears_the_count(client: TestClient) -> None:
    for n in range(5):
        api_login(client, "alice", f"guess number {n}")
    assert api_login(client, "alice", PASSWORD).status_code == 429
    time.sleep(2.1)
    assert api_login(client, "alice", PASSWORD).status_code == 201
    answers = [api_login(client, "alice", f"again {n}").status_code for n in range(5)]
    assert answers == [401] * 5
    assert api_login(client, "alice", "again").status_code == 429
    time.sleep(2.1)
    api_login(client, "alice", "still guessing")  # the sixth failure in a row: four seconds
    locked = api_login(client, "alice", PASSWORD)
    assert locked.status_code == 429
    assert 3 <= int(locked.headers["retry-after"]) <= 4


def test_every_worker_sees_the_lock(tmp_path: Path, database_url: str | None) -> None:
    """Two nodes on one database stand for two workers of one node."""
    with (
        _node(tmp_path, database_url, LIGHT_HASHING) as first,
        _node(tmp_path, database_url, LIGHT_HASHING) as second,
        TestClient(create_app(first)) as one,
        TestClient(create_app(second)) as two,
    ):
        first.accounts.register("alice", PASSWORD)
        for n in range(5):
            assert api_login(one if n % 2 else two, "alice", f"g{n}").status_code == 401
        assert api_login(one, "alice", PASSWORD).status_code == 429
        assert api_login(two, "alice", PASSWORD).status_code == 429


def test_guesses_sent_all_at_once_do_not_slip_past_the_limit(sqlite_node: Node) -> None:
    sqlite_node.accounts.register("alice", PASSWORD)
    guesses = [f"guess number {n}" for n in range(24)]
    with (
        served(create_app(sqlite_node), loopback()) as site,
        httpx.Client(base_url=site, timeout=30) as http,
        ThreadPoolExecutor(8) as pool,
    ):
        answers = list(pool.map(lambda g: api_login(http, "alice", g).status_code, guesses))
    assert answers.count(401) == 5
    assert answers.count(429) == 19


def test_login_signup_and_logout_forms_from_another_site_are_refused(
    client: TestClient,
) -> None:
    login = client.post("/login", data={"username": "alice", "password": PASSWORD},
                        headers=FOREIGN, follow_redirects=False)  # fmt: skip
    assert (login.status_code, login.json()["error"]["code"]) == (403, "cross_origin")
    assert "set-cookie" not in login.headers
    signup = client.post("/signup", data={"username": "mallory", "password": PASSWORD + "!"},
                         headers=FOREIGN, follow_redirects=False)  # fmt: skip
    assert signup.status_code == 403
    assert api_login(client, "mallory", PASSWORD + "!").status_code == 401
    assert page_login(client, "alice", PASSWORD).status_code == 303
    logout = client.post("/logout", headers=FOREIGN, follow_redirects=False)
    assert logout.status_code == 403
    assert 'id="whoami">alice<' in client.get("/").text
    same_site = {"origin": str(client.base_url)}
    assert client.post("/logout", headers=same_site, follow_redirects=False).status_code == 303
    assert 'id="whoami"' not in client.get("/").text
