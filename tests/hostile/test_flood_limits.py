"""Request floods: logins guessed from one address or at one username, writes from one
account or address, federation requests from one verified node or address. Each is
answered 429 `rate_limited` with a Retry-After, JSON for the API and a sentence for a
page, while others go on; and a bucket refills with time."""

from __future__ import annotations

import httpx

from hostile.flooding import RemoteNode, client, retry_after
from p2pvalue.config import Rate, RateLimits
from p2pvalue.node import Node
from p2pvalue.rates import Limiter
from p2pvalue.web.app import create_app
from serving import loopback, served
from web.client import PASSWORD


def test_guessing_passwords_from_one_address_is_slowed_down(node: Node) -> None:
    with client(node, RateLimits(logins_per_ip=Rate(5, 6))) as api:
        api.http.post("/api/v1/accounts", json={"username": "alice", "password": PASSWORD})
        guesses = [api.http.post("/api/v1/sessions",
                                 json={"username": f"user{i}", "password": "guess"})
                   for i in range(6)]  # fmt: skip
        assert [g.status_code for g in guesses[:5]] == [401] * 5
        assert retry_after(guesses[5]) >= 1
        assert guesses[5].json()["error"]["code"] == "rate_limited"
        right = api.http.post("/api/v1/sessions", json={"username": "alice", "password": PASSWORD})
        assert right.status_code == 429  # the address, not the password, is limited


def test_guessing_one_users_password_from_many_places_is_slowed_down(node: Node) -> None:
    with client(node, RateLimits(logins_per_username=Rate(3, 6))) as api:
        api.http.post("/api/v1/accounts", json={"username": "alice", "password": PASSWORD})
        tries = [api.http.post("/login", data={"username": " Alice ", "password": "guess"})
                 for _ in range(3)]  # fmt: skip
        assert [t.status_code for t in tries] == [401] * 3
        page = api.http.post("/login", data={"username": "alice", "password": "guess"})
        assert retry_after(page) >= 1
        assert "text/html" in page.headers["content-type"] and "Too many requests" in page.text
        other = api.http.post("/api/v1/sessions", json={"username": "bob", "password": "x"})
        assert other.status_code == 401


def test_an_account_that_writes_too_fast_is_slowed_down(node: Node) -> None:
    with client(node, RateLimits(writes_per_account=Rate(5, 6))) as api:
        alice, bob = api.sign_up("alice"), api.sign_up("bob")
        space = api.create_space(alice)  # one write
        posts = [api.act(alice, space, "post.create", {"text": f"{i}"}) for i in range(5)]
        assert [p.status_code for p in posts[:4]] == [201] * 4
        assert retry_after(posts[4]) >= 1
        assert api.act(bob, space, "member.join").status_code == 201


def test_an_address_that_writes_too_fast_is_slowed_down_on_a_real_server(
    sqlite_node: Node,
) -> None:
    sqlite_node.limiter.limits = RateLimits(writes_per_ip=Rate(4, 6))
    with served(create_app(sqlite_node), loopback()) as url:
        answers = [httpx.post(f"{url}/api/v1/accounts",
                              json={"username": f"user{i}", "password": PASSWORD})
                   for i in range(5)]  # fmt: skip
        assert [a.status_code for a in answers[:4]] == [201] * 4
        assert retry_after(answers[4]) >= 1
        assert httpx.get(f"{url}/healthz").status_code == 200  # reading is not a write


def test_a_node_or_an_address_that_calls_too_often_is_slowed_down(node: Node) -> None:
    with client(node, RateLimits(federation_per_node=Rate(5, 6))) as api:
        alice = api.sign_up("alice")
        space = api.create_space(alice)
        flood, honest = RemoteNode(api, "http://flood.example"), RemoteNode(api)
        answers = [flood.get(f"{space}/heads") for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        assert retry_after(answers[5]) >= 1
        assert honest.get(f"{space}/heads").status_code == 200
    # A node with a fresh key for each request is still one address.
    with client(node, RateLimits(federation_per_ip=Rate(5, 6))) as api:
        answers = [RemoteNode(api).get(f"{space}/heads") for _ in range(6)]
        assert [a.status_code for a in answers[:5]] == [200] * 5
        assert retry_after(answers[5]) >= 1


def test_a_bucket_refills_with_time() -> None:
    now = [0.0]
    limiter = Limiter(RateLimits(logins_per_ip=Rate(2, 6)), clock=lambda: now[0])
    assert [limiter.take("logins_per_ip", "a") for _ in range(3)] == [None, None, 10]
    assert limiter.take("logins_per_ip", "b") is None
    now[0] = 10.0
    assert limiter.take("logins_per_ip", "a") is None
    assert limiter.take("logins_per_ip", "a") is not None
