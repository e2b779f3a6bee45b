"""Where this node's HTTP requests may go: the one client every outgoing request uses.

Other nodes, members and fediverse servers name the URLs this node contacts (a push's
sender, a `member.home`, a peer, a key id, an inbox), so a hostile one could point the node
at itself or its private network (`http://127.0.0.1:…`, `10.…`, `169.254.169.254`,
`[::1]`) and use it as a proxy. So every request goes through `Outbound`:

- the URL is http or https, with a host and without credentials (`forbidden_url`);
- the host is resolved once, as the connection is opened, and **every** address it has
  must be allowed (`Policy.refusal`); the connection goes to an address so checked, while
  the Host header and TLS server name stay the host's, so a DNS answer that changes
  between a check and the connection (DNS rebinding) cannot lead it elsewhere;
- redirects are not followed unless asked for, each hop checked again, at most a few;
- the whole exchange has a time limit, and the answer is read as a stream and abandoned
  once it passes a size limit; no proxy settings are read from the environment.

Refused by default: loopback, private (RFC 1918, unique-local fc00::/7), link-local,
multicast, unspecified, reserved, shared (100.64/10) and every other non-global address,
IPv4 written inside IPv6 judged as the IPv4 address, and cloud metadata services always.
A node's `outbound_allow` (NodeConfig) lists networks and host names it may reach all the
same: tests and local development (`127.0.0.0/8`), community networks on a private LAN.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import SplitResult, urlsplit

import anyio
import httpcore
import httpx

from p2pvalue.errors import Forbidden

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[Address]]]
DEFAULT_PORTS = {"http": 80, "https": 443}
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
REFUSED_KINDS = ("unspecified", "loopback", "link_local", "multicast", "reserved", "private")
# Instance metadata services (AWS, GCP, Azure, OpenStack; AWS ECS and EKS; AWS over IPv6;
# Alibaba; Oracle): refused even inside an allowed network, since they hand out credentials.
METADATA_ADDRESSES = (
    "169.254.169.254", "169.254.170.2", "169.254.170.23", "fd00:ec2::254", "fd00:ec2::23",
    "100.100.100.200", "192.0.0.192",
)  # fmt: skip
METADATA = frozenset(ipaddress.ip_address(address) for address in METADATA_ADDRESSES)
ANYWHERE = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
LOOPBACK = ("127.0.0.0/8", "::1")  # what tests running nodes on one machine allow
HOSTNAME = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.?)+")
TIMEOUT_S = 30.0
MAX_BYTES = 16 * 1024 * 1024
MAX_REDIRECTS = 3  # the most any caller may ask to follow
REDIRECT_TO_GET = frozenset({301, 302, 303})
DROPPED_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def refusal(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why no request may go to `address` (a kind of address, in words), or None: cloud
    metadata always, anything else non-global unless a network of `allowed` holds it."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 else None
        )
        if embedded is not None:
            return refusal(embedded, allowed)
    if address in METADATA:
        return "cloud metadata"
    if any(address.version == net.version and address in net for net in allowed):
        return None
    for kind in REFUSED_KINDS:
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return None if address.is_global else "not global"


@dataclass(frozen=True)
class Policy:
    """The node's exceptions to the rules: networks and host names it may reach although
    they are not public (`outbound_allow`)."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, entries: Iterable[str]) -> Policy:
        """The policy an allow-list gives: each entry an address, a network in CIDR
        notation or a host name; ValueError for anything else."""
        networks: list[Network] = []
        hosts: set[str] = set()
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                name = entry.strip().lower().rstrip(".")
                if not HOSTNAME.fullmatch(name):
                    raise ValueError(f"{entry!r} is no address, network or host name") from None
                hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    def refusal(self, host: str, address: Address) -> str | None:
        """Why no request may go to `address`, which `host` resolved to, or None."""
        named = host.lower().rstrip(".") in self.hosts
        return refusal(address, ANYWHERE if named else self.networks)

    def first_refused(self, host: str, addresses: Iterable[Address]) -> str | None:
        """A word on the first of `addresses` no request may go to, or None if all may."""
        for address in addresses:
            reason = self.refusal(host, address)
            if reason is not None:
                return f"{address} is {reason}"
        return None


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


async def check_url(url: str, policy: Policy, resolver: Resolver = resolve) -> None:
    """Refuse `url` unless a request may go there: `forbidden_url` for its form,
    `forbidden_address` if any address of its host is refused. OSError when the host does
    not resolve. A check ahead of a request, to refuse early and plainly; `Outbound`
    checks again at the connection, which is what holds."""
    parts = check_form(url)
    host = str(parts.hostname)
    addresses = await resolver(host, parts.port or DEFAULT_PORTS[parts.scheme])
    reason = policy.first_refused(host, addresses)
    if reason is not None:
        raise Forbidden("forbidden_address", f"{host} resolves to an address this node does "
                        f"not send requests to ({reason})")  # fmt: skip


class RefusedDestination(httpx.RequestError):
    """No request may go there: `code` is `forbidden_url` or `forbidden_address`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class TooLarge(httpx.RequestError):
    """The answer passed the size limit; it was abandoned unread."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Opens connections only to addresses of a host it resolved and checked itself."""

    def __init__(self, policy: Policy, resolver: Resolver = resolve) -> None:
        self.policy = policy
        self.resolver = resolver
        self._network = httpcore.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,
        local_address: str | None = None, socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:  # fmt: skip
        try:
            with anyio.fail_after(timeout):
                addresses = await self.resolver(host, port)
        except (OSError, TimeoutError) as error:
            raise httpcore.ConnectError(f"{host} does not resolve: {error}") from error
        reason = self.policy.first_refused(host, addresses)
        if reason is not None or not addresses:
            raise RefusedDestination(
                "forbidden_address", f"{host}: no request goes there ({reason or 'no address'})"
            )
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
        raise RefusedDestination("forbidden_url", "no request goes through local sockets")

    async def sleep(self, seconds: float) -> None:
        await self._network.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, connecting through a `GuardedBackend`."""

    def __init__(self, policy: Policy, resolver: Resolver = resolve) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=GuardedBackend(policy, resolver),
        )


RequestHook = Callable[[httpx.Request], Awaitable[None]]  # e.g. adds a header to each request


class Outbound:
    """The HTTP client of every request this node sends: guarded connections, at most
    `max_redirects` redirects (each hop checked again), `timeout` seconds for the whole
    exchange, answers of at most `max_bytes` (decoded). `auth` signs each hop; `transport`
    replaces the guarded one (tests that play the network in process)."""

    def __init__(
        self, policy: Policy, *, timeout: float = TIMEOUT_S, max_bytes: int = MAX_BYTES,
        max_redirects: int = 0, auth: httpx.Auth | None = None,
        transport: httpx.AsyncBaseTransport | None = None, resolver: Resolver = resolve,
        on_request: RequestHook | None = None,
    ) -> None:  # fmt: skip
        self.timeout, self.max_bytes = timeout, max_bytes
        self.max_redirects = min(max_redirects, MAX_REDIRECTS)
        self.client = httpx.AsyncClient(
            transport=transport or GuardedTransport(policy, resolver), auth=auth,
            timeout=timeout, follow_redirects=False, trust_env=False,
            event_hooks={"request": [on_request] if on_request else []},
        )  # fmt: skip

    async def __aenter__(self) -> Outbound:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.client.aclose()

    async def get(
        self, url: str, *, params: Any = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.request("GET", url, params=params, headers=headers)

    async def post(
        self, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        return await self.request("POST", url, content=content, headers=headers)

    async def request(
        self, method: str, url: str, *, params: Any = None, content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:  # fmt: skip
        """The answer to a request, read whole; a redirect beyond the limit is the answer.
        Raises httpx errors: `RefusedDestination`, `TooLarge`, a timeout, …"""
        try:
            with anyio.fail_after(self.timeout):
                return await self._follow(method, url, params, content, headers)
        except TimeoutError:
            raise httpx.TimeoutException(f"{url}: no whole answer in {self.timeout} s") from None

    async def _follow(
        self, method: str, url: str, params: Any, content: bytes | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:  # fmt: skip
        for hop in range(self.max_redirects + 1):
            try:
                check_form(url)
            except Forbidden as refused:
                raise RefusedDestination(refused.code, refused.message) from None
            request = self.client.build_request(
                method, url, params=params, content=content, headers=headers
            )
            response = await self.client.send(request, stream=True)
            try:
                if not response.has_redirect_location or hop == self.max_redirects:
                    return await self._read(response)
            finally:
                await response.aclose()
            url = str(response.url.join(response.headers["location"]).copy_with(fragment=None))
            params = None
            if response.status_code in REDIRECT_TO_GET and method != "HEAD":
                method, content = "GET", None
        raise AssertionError("unreachable")

    async def _read(self, response: httpx.Response) -> httpx.Response:
        """The answer with its body, read up to the size limit; `TooLarge` past it."""
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise TooLarge(f"{response.url} announces {declared} bytes", request=response.request)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise TooLarge(f"{response.url} sent over {self.max_bytes} bytes",
                               request=response.request)  # fmt: skip
            chunks.append(chunk)
        kept = [(k, v) for k, v in response.headers.multi_items() if k not in DROPPED_HEADERS]
        return httpx.Response(
            response.status_code, headers=kept, content=b"".join(chunks),
            request=response.request, extensions=response.extensions,
        )  # fmt: skip
