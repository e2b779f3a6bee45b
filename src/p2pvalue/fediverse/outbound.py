"""Where this node's requests to the fediverse may go.

Other servers name the URLs this node fetches (key ids, the actor documents they lead to)
and posts to (inboxes), so a hostile one could point the node at itself or at its private
network (`http://127.0.0.1:…`, `10.…`, `169.254.169.254`, `[::1]`). Every such URL is
checked before a request (`check_url`): http or https only, no credentials, and a host
whose every address is global — not loopback, private, link-local, multicast, reserved,
unspecified or shared. Loopback is let through only when the node's configuration says so
(`fediverse_loopback`: tests and local development).

The client (`guarded_client`) checks again as it connects, and connects only to an address
it checked, so a name that resolves elsewhere the second time (DNS rebinding) cannot lead
the request astray; it follows no redirects and reads no proxy settings.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

import anyio
import httpcore
import httpx

from p2pvalue.errors import Forbidden

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
REFUSED_KINDS = ("unspecified", "link_local", "multicast", "reserved", "private")


def refusal(address: Address, *, allow_loopback: bool = False) -> str | None:
    """Why no request may go to `address` (a kind of address, in words), or None."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 else None
        )
        if embedded is not None:
            return refusal(embedded, allow_loopback=allow_loopback)
    if address.is_loopback:
        return None if allow_loopback else "loopback"
    for kind in REFUSED_KINDS:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not global"


def check_form(url: str) -> SplitResult:
    """`url`'s parts, once it is an http(s) URL with a host and without credentials;
    `forbidden_url` otherwise."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- a port out of range raises here
    except ValueError:
        raise Forbidden("forbidden_url", f"{url!r} is not a URL") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise Forbidden("forbidden_url", f"{url!r} is not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise Forbidden("forbidden_url", f"{url!r} carries credentials")
    return parts


async def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` has; OSError if it has none."""
    found = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(sockaddr[0]).split("%")[0]) for *_, sockaddr in found]


def first_refused(addresses: Iterable[Address], allow_loopback: bool) -> str | None:
    """A word on the first of `addresses` no request may go to, or None if all are fine."""
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_loopback)
        if reason is not None:
            return f"{address} is {reason}"
    return None


async def check_url(url: str, *, allow_loopback: bool = False) -> None:
    """Refuse `url` unless a fediverse request may go there: `forbidden_url` for its form,
    `forbidden_address` if any address of its host is not global. OSError when the host
    does not resolve."""
    parts = check_form(url)
    host = str(parts.hostname)
    addresses = await resolve(host, parts.port or DEFAULT_PORTS[parts.scheme])
    reason = first_refused(addresses, allow_loopback)
    if reason is not None:
        raise Forbidden("forbidden_address", f"{host} resolves to an address that is not "
                        f"public ({reason})")  # fmt: skip


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to checked addresses of a host, every one of them allowed."""

    def __init__(self, *, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:  # fmt: skip
        try:
            with anyio.fail_after(timeout):
                addresses = await resolve(host, port)
        except (OSError, TimeoutError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
        reason = first_refused(addresses, self.allow_loopback)
        if reason is not None or not addresses:
            raise httpcore.ConnectError(f"{host}: no request goes there ({reason})")
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._network.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as error:
                last = error
        raise httpcore.ConnectError(f"{host}: {last}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("the fediverse is not reached through local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting through a `GuardedBackend`."""

    def __init__(self, *, allow_loopback: bool) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(allow_loopback=allow_loopback),
        )


def guarded_client(*, allow_loopback: bool, timeout: float) -> httpx.AsyncClient:
    """An HTTP client for the fediverse: guarded connections, no redirects, no proxy."""
    return httpx.AsyncClient(
        transport=GuardedTransport(allow_loopback=allow_loopback), timeout=timeout,
        follow_redirects=False, trust_env=False,
    )  # fmt: skip
