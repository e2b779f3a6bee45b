"""The rules of `outbound`, the one client of every request a node sends: the address
classification with plain values, the allow-list, the URL form, and the client against
real listeners on loopback that count their connections: refused addresses and names that
resolve to them get none, a redirect to one is not followed, the connection goes to the
address checked (Host kept), and answers are cut at their size and time limits."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Sequence

import httpx
import pytest

from hostile.outbound_listener import CountingListener
from p2pvalue.errors import P2PError
from p2pvalue.outbound import (
    LOOPBACK,
    Address,
    Outbound,
    Policy,
    RefusedDestination,
    TooLarge,
    check_form,
    check_url,
    refusal,
)

REFUSED = {
    "127.0.0.1": "loopback", "127.8.9.10": "loopback", "::1": "loopback",
    "::ffff:127.0.0.1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
    "192.168.1.1": "private", "fc00::1": "private", "fd12:3456::1": "private",
    "64:ff9b::a00:1": "private", "169.254.1.1": "link-local", "fe80::1": "link-local",
    "224.0.0.1": "multicast", "ff02::1": "multicast", "0.0.0.0": "unspecified",
    "::": "unspecified", "240.0.0.1": "reserved", "100.64.0.1": "not global",
    "169.254.169.254": "cloud metadata", "::ffff:169.254.169.254": "cloud metadata",
    "fd00:ec2::254": "cloud metadata", "169.254.170.2": "cloud metadata",
    "100.100.100.200": "cloud metadata", "192.0.0.192": "cloud metadata",
}  # fmt: skip
PUBLIC = ("93.184.216.34", "2606:4700:4700::1111", "::ffff:8.8.8.8")


def _ip(text: str) -> Address:
    return ipaddress.ip_address(text)


@pytest.mark.parametrize(("address", "kind"), sorted(REFUSED.items()))
def test_addresses_that_are_not_public_are_refused(address: str, kind: str) -> None:
    assert refusal(_ip(address)) == kind
    assert Policy().refusal("example.org", _ip(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(_ip(address)) is None


def test_the_allow_list_opens_its_networks_and_names_but_never_metadata() -> None:
    lan = Policy.of(["10.0.0.0/8", "127.0.0.0/8", "::1", "node-b.lan", "FD00::/8"])
    assert [lan.refusal("x", _ip(a)) for a in ("10.1.2.3", "127.0.0.1", "::1", "fd12::1")] == [
        None, None, None, None]  # fmt: skip
    assert lan.refusal("x", _ip("192.168.1.1")) == "private"
    assert lan.refusal("x", _ip("::ffff:10.1.2.3")) is None  # judged as the IPv4 address
    assert lan.refusal("x", _ip("fd00:ec2::254")) == "cloud metadata"
    assert lan.refusal("node-b.lan", _ip("192.168.7.7")) is None  # a name allowed by name
    assert lan.refusal("NODE-B.lan.", _ip("192.168.7.7")) is None
    assert lan.refusal("node-b.lan", _ip("169.254.169.254")) == "cloud metadata"
    assert Policy.of(["169.254.0.0/16"]).refusal("x", _ip("169.254.169.254")) == "cloud metadata"
    assert Policy.of(LOOPBACK).refusal("x", _ip("10.0.0.1")) == "private"


@pytest.mark.parametrize("entry", ["not a host!", "10.0.0.0/33", "http://x", ""])
def test_an_allow_list_entry_that_is_no_network_or_name_is_refused(entry: str) -> None:
    with pytest.raises(ValueError):
        Policy.of([entry])


@pytest.mark.parametrize("url", [
    "ftp://example.org/actor", "file:///etc/passwd", "gopher://example.org", "http:///actor",
    "https://user:secret@example.org/actor", "https://user@example.org/actor",
    "http://example.org:99999/",
])  # fmt: skip
def test_only_plain_http_urls_with_a_host_are_allowed(url: str) -> None:
    with pytest.raises(P2PError) as refused:
        check_form(url)
    assert (refused.value.code, refused.value.status) == ("forbidden_url", 403)


def _code(url: str, policy: Policy = Policy()) -> str | None:
    try:
        asyncio.run(check_url(url, policy))
    except P2PError as refused:
        return refused.code
    return None


def test_a_url_is_refused_when_its_host_resolves_to_a_refused_address() -> None:
    refused = [
        "http://127.0.0.1:8000/actor", "http://localhost/actor", "http://[::1]/inbox",
        "http://169.254.169.254/latest/meta-data/", "http://10.0.0.7/inbox",
        "http://[::ffff:127.0.0.1]/", "http://0.0.0.0:80/", "https://[fe80::1]/",
    ]  # fmt: skip
    assert [_code(url) for url in refused] == ["forbidden_address"] * len(refused)
    assert _code("https://user:pw@93.184.216.34/") == "forbidden_url"
    assert _code("https://93.184.216.34/users/alice") is None
    assert _code("http://localhost/actor", Policy.of(LOOPBACK)) is None
    assert _code("http://10.0.0.7/inbox", Policy.of(LOOPBACK)) == "forbidden_address"


def _get(url: str, policy: Policy = Policy(), **options: object) -> httpx.Response:
    async def get() -> httpx.Response:
        async with Outbound(policy, **options) as client:  # type: ignore[arg-type]
            return await client.get(url)

    return asyncio.run(get())


def _refused(url: str, policy: Policy = Policy(), **options: object) -> str:
    with pytest.raises(RefusedDestination) as refused:
        _get(url, policy, **options)
    return refused.value.code


def test_no_connection_goes_to_loopback_or_a_name_that_resolves_there() -> None:
    with CountingListener() as listener:
        assert _refused(f"{listener.url}/secret") == "forbidden_address"
        assert _refused(f"http://localhost:{listener.port}/secret") == "forbidden_address"
        assert _refused(f"http://[::ffff:127.0.0.1]:{listener.port}/") == "forbidden_address"
        assert _refused(f"http://user:pw@127.0.0.1:{listener.port}/") == "forbidden_url"
        assert listener.accepted == 0
        # Told it may, the node reaches it.
        assert _get(f"http://localhost:{listener.port}/open", Policy.of(LOOPBACK)).json() == {}
        assert listener.accepted == 1


def _redirect(to: str, status: int = 302) -> bytes:
    return (f"HTTP/1.1 {status} Found\r\nlocation: {to}\r\ncontent-length: 0\r\n\r\n").encode()


def test_a_redirect_to_a_refused_address_is_not_followed() -> None:
    only_two = Policy.of(["127.0.0.2/32"])
    with CountingListener() as forbidden:
        with CountingListener("127.0.0.2", _redirect(f"{forbidden.url}/secret")) as allowed:
            assert _refused(f"{allowed.url}/actor", only_two, max_redirects=3) == (
                "forbidden_address")  # fmt: skip
            assert allowed.accepted == 1
            # Without redirects asked for, the redirect itself is the answer.
            assert _get(f"{allowed.url}/actor", only_two).status_code == 302
        with CountingListener("127.0.0.2") as final:
            with CountingListener("127.0.0.2", _redirect(f"{final.url}/there", 307)) as hop:
                assert _get(f"{hop.url}/here", only_two, max_redirects=3).status_code == 200
            assert final.accepted == 1
        assert forbidden.accepted == 0


class Resolver:
    """A DNS stand-in: fixed answers per name, and how many times each was asked."""

    def __init__(self, answers: dict[str, Sequence[str]]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[Address]:
        self.asked.append(host)
        return [_ip(address) for address in self.answers[host]]


def test_the_connection_goes_to_the_address_checked_with_the_host_kept() -> None:
    with CountingListener() as listener:
        names = Resolver({"node-b.example": ["127.0.0.1"],
                          "mixed.example": ["93.184.216.34", "127.0.0.1"]})  # fmt: skip
        assert _refused(f"http://node-b.example:{listener.port}/", resolver=names) == (
            "forbidden_address")  # fmt: skip
        # One address refused among public ones: the name is refused.
        refused = _refused(f"http://mixed.example:{listener.port}/", Policy(), resolver=names)
        assert refused == "forbidden_address" and listener.accepted == 0
        allowed = Policy.of(["127.0.0.0/8"])
        answer = _get(f"http://node-b.example:{listener.port}/x", allowed, resolver=names)
        assert answer.json() == {}
    assert listener.accepted == 1
    assert f"host: node-b.example:{listener.port}" in listener.requests[0].decode().lower()
    assert names.asked == ["node-b.example", "mixed.example", "node-b.example"]  # once each


def test_an_answer_past_its_size_limit_is_abandoned() -> None:
    body = b"x" * 100_000
    declared = b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + body
    undeclared = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + body
    loopback = Policy.of(LOOPBACK)
    for answer in (declared, undeclared):
        with CountingListener(answer=answer) as listener:
            with pytest.raises(TooLarge):
                _get(listener.url, loopback, max_bytes=10_000)
            assert len(_get(listener.url, loopback, max_bytes=100_000).content) == 100_000


def test_the_whole_exchange_has_a_time_limit() -> None:
    with CountingListener(delay=3) as slow, pytest.raises(httpx.TimeoutException):
        _get(slow.url, Policy.of(LOOPBACK), timeout=0.5)
