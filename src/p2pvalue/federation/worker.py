"""The replication worker: delivers the durable outbox, pulls what pushes missed, backfills
the spaces this node joins (showing them provisionally meanwhile, `federation.joining`).
Every request is signed with the node's key (`NodeAuth`) and goes through `outbound`, so
only to addresses the node may reach, within a time and size limit.

The outbox is a table, so a restarted node resumes delivery where it stopped; a failed
delivery is tried again with exponential backoff. Anti-entropy asks each peer for its heads
and fetches any unknown one with its missing ancestors, so nothing a push missed (a node
down, a network cut) stays missing. Fetched events go through the one write path.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from contextlib import suppress
from typing import TYPE_CHECKING, Any

import httpx
import orjson
from anyio import to_thread

from p2pvalue import outbound, queues
from p2pvalue.errors import EventError, NotFound, P2PError
from p2pvalue.events.event import Event, now_ms, parse_event
from p2pvalue.events.types import EVENT_ID_PATTERN
from p2pvalue.federation import joining, member_proof
from p2pvalue.federation.replication import Replication
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.store import federation as store
from p2pvalue.store.database import writing

if TYPE_CHECKING:
    from p2pvalue.domain import Wiring
    from p2pvalue.ingest import Arrivals, Outcome

LOG = logging.getLogger(__name__)
API = "/federation/v1/spaces"
BATCH_BYTES = 900_000  # under the 1 MiB a node takes in one request
DUE_AT_ONCE = 2000
BACKFILL_PAGE = 5000  # the most a node serves at once
PAGE_ATTEMPTS = 5
MAX_ATTEMPTS = 20
MAX_BACKOFF_S = 300
MAX_FETCH_ROUNDS = 1000
TIMEOUT_S = 120.0  # a whole exchange, a page of the log among them
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a page of 5,000 events of 13 KB on average
MAX_HEADS = 10_000
EVENT_ID = re.compile(EVENT_ID_PATTERN)
COPIED = ("accepted", "rejected", "duplicate")


def backoff_ms(attempts: int) -> int:
    return queues.backoff_ms(attempts, MAX_BACKOFF_S)


def batches(bodies: Iterable[bytes], limit: int = BATCH_BYTES) -> Iterable[list[bytes]]:
    """Bodies grouped so that each push stays under `limit` bytes."""
    batch: list[bytes] = []
    size = 0
    for body in bodies:
        if batch and size + len(body) > limit:
            yield batch
            batch, size = [], 0
        batch.append(body)
        size += len(body) + 1
    if batch:
        yield batch


def push_body(origin: str | None, bodies: list[bytes]) -> bytes:
    """A push as it is sent: the sender's URL and the events' canonical bodies, as they are."""
    return b'{"from":' + orjson.dumps(origin) + b',"events":[' + b",".join(bodies) + b"]}"


class Replicator:
    """Runs a node's replication while its web app runs (see `web.app`)."""

    def __init__(self, wiring: Wiring, *, sync_every: float, transport: Any = None) -> None:
        self.wiring = wiring
        self.replication = wiring.service(Replication)
        self.sync_every = sync_every
        self.client = outbound.Outbound(
            outbound.Policy.of(wiring.config.outbound_allow), auth=NodeAuth(wiring.key),
            timeout=TIMEOUT_S, max_bytes=MAX_ANSWER_BYTES, transport=transport,
            on_request=self._prove,
        )  # fmt: skip
        self.backfilling: set[str] = set()
        self.joining: dict[str, joining.Provisional] = {}  # what is shown while backfilling
        self._wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._registered = lambda: loop.call_soon_threadsafe(self._wake.set)
        self.replication.wake.append(self._registered)
        self._tasks: set[asyncio.Task[Any]] = set()

    async def _prove(self, request: httpx.Request) -> None:
        """Send with a request for a space a member's proof that this node asks for them,
        if one was given (see `federation.member_proof`)."""
        _, found, rest = request.url.path.partition(f"{API}/")
        proof = self.replication.proof(rest.split("/")[0]) if found else None
        if proof is not None:
            request.headers[member_proof.HEADER] = proof

    async def run(self) -> None:
        """Deliver and pull until cancelled."""
        await asyncio.gather(self._deliver_loop(), self._pull_loop())

    async def close(self) -> None:
        """Stop hearing of queued work, cancel background work, wait for it to end, and close
        the HTTP client."""
        with suppress(ValueError):
            self.replication.wake.remove(self._registered)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with suppress(asyncio.CancelledError):
                await task
        await self.client.aclose()

    def soon(self, work: Any) -> None:
        """Run a coroutine in the background, keeping a reference until it is done."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_loop(self) -> None:
        await queues.work_when_woken(self._wake, self.deliver_due, "delivering the outbox")

    async def _pull_loop(self) -> None:
        while True:
            await asyncio.sleep(self.sync_every)
            try:
                await self.anti_entropy()
            except Exception:
                LOG.exception("anti-entropy failed; trying again")

    async def deliver_due(self) -> int:
        """Push every due delivery, grouped by node and space; how many were delivered."""
        due = await to_thread.run_sync(self._due)
        groups: dict[tuple[str, str], list[store.Pending]] = defaultdict(list)
        for pending in due:
            groups[(pending.url, pending.space)].append(pending)
        delivered = 0
        for (url, space), group in groups.items():
            delivered += await self._push(url, space, group)
        return delivered

    def _due(self) -> list[store.Pending]:
        with self.wiring.engine.begin() as conn:
            return store.due(conn, now_ms(), DUE_AT_ONCE)

    async def _push(self, url: str, space: str, pending: list[store.Pending]) -> int:
        ids = [p.event_id for p in pending]
        bodies = await to_thread.run_sync(self.replication.bodies, space, ids)
        try:
            for batch in batches(bodies):
                response = await self.client.post(
                    f"{url}{API}/{space}/events", content=push_body(self.replication.url, batch),
                    headers={"content-type": "application/json"},
                )  # fmt: skip
                if response.status_code != 200:
                    raise httpx.HTTPStatusError(
                        f"{response.status_code} {response.text[:120]}",
                        request=response.request, response=response,
                    )  # fmt: skip
        except httpx.HTTPError as error:
            await to_thread.run_sync(self._failed, pending, f"{type(error).__name__}: {error}")
            return 0
        await to_thread.run_sync(self._delivered, [p.id for p in pending])
        return len(pending)

    def _delivered(self, ids: list[int]) -> None:
        with writing(self.wiring.engine) as conn:
            store.delivered(conn, ids)

    def _failed(self, pending: list[store.Pending], error: str) -> None:
        """Try again later; a delivery that failed too often is dropped, since anti-entropy
        brings the node whatever it still lacks once it is back."""
        attempts = max(p.attempts for p in pending) + 1
        LOG.info("push of %d event(s) to %s failed (%s)", len(pending), pending[0].url, error)
        with writing(self.wiring.engine) as conn:
            if attempts >= MAX_ATTEMPTS:
                store.delivered(conn, [p.id for p in pending])
            else:
                store.failed(conn, [p.id for p in pending], now_ms() + backoff_ms(attempts), error)

    async def anti_entropy(self) -> int:
        """Pull from every peer of every space the heads this node lacks; events gained."""
        gained = 0
        for summary in await to_thread.run_sync(self.wiring.directory.held_spaces):
            if summary.id in self.backfilling:
                continue
            for url in await to_thread.run_sync(self.replication.peers, summary.id):
                try:
                    gained += await self.pull(url, summary.id)
                except (httpx.HTTPError, P2PError) as error:
                    LOG.info("anti-entropy with %s for %s failed: %s", url, summary.id, error)
        return gained

    async def pull(self, url: str, space: str) -> int:
        """Fetch the heads of `space` that `url` has and this node lacks, with their missing
        ancestors, and ingest them; how many events were accepted or rejected here."""
        response = await self.client.get(f"{url}{API}/{space}/heads")
        response.raise_for_status()
        heads = heads_of(response.content)
        missing = set(heads) - await to_thread.run_sync(self.replication.known, heads)
        if not missing:
            return 0
        return await self.fetch(url, space, missing)

    async def fetch(self, url: str, space: str, ids: set[str]) -> int:
        """Fetch events by id and, round by round, the ancestors of theirs this node lacks;
        then ingest them all, parents first."""
        found: dict[str, Event] = {}
        frontier = set(ids)
        for _ in range(MAX_FETCH_ROUNDS):
            if not frontier:
                break
            fetched = await self._fetch_ids(url, space, sorted(frontier))
            found.update((event.id, event) for event in fetched)
            parents = {p for event in fetched for p in event.prev} - found.keys()
            frontier = parents - await to_thread.run_sync(self.replication.known, sorted(parents))
        ordered = sorted(found.values(), key=lambda event: (event.depth, event.id))
        outcomes = await self._ingest(url, [event.wire for event in ordered])
        return sum(o.status in ("accepted", "rejected") for o in outcomes)

    async def _fetch_ids(self, url: str, space: str, ids: list[str]) -> list[Event]:
        events = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            response = await self.client.get(f"{url}{API}/{space}/events", params={"id": chunk})
            response.raise_for_status()
            events += self._parse(response.content)
        return events

    def _parse(self, ndjson: bytes) -> list[Event]:
        """Events from a peer, each verified on its own; a bad one is logged and left out."""
        events = []
        for line in ndjson.splitlines():
            try:
                events.append(parse_event(orjson.loads(line)))
            except (orjson.JSONDecodeError, EventError) as error:
                LOG.warning("a peer sent an event that does not verify: %s", error)
        return events

    async def backfill(self, url: str, space: str) -> int:
        """Copy a space's log from `url`, page by page in its order (`_copy`); meanwhile
        the space is shown provisionally (`joining`), and once the copy ends, from this
        node's fold alone. The node then replicates the space with `url`. Anti-entropy
        leaves the space alone meanwhile; a space already being copied is left to that
        copy."""
        if space in self.backfilling:
            return 0
        self.backfilling.add(space)
        preview = asyncio.ensure_future(self._preview(url, space))
        try:
            total = await self._copy(url, space)
        except Exception as error:
            LOG.warning("copying %s from %s failed (%s); ask again", space, url, error)
            raise
        finally:
            preview.cancel()
            self.backfilling.discard(space)
            view = self.joining.pop(space, None)
        await to_thread.run_sync(self.replication.add_peer, space, url)
        if view is not None:
            await to_thread.run_sync(self._settle, view)
        return total

    async def _copy(self, url: str, space: str) -> int:
        """Fetch and commit a space's log page by page, the next page in flight while one
        is committed; a page that has arrived by then is also read first, its signatures
        verified on another core while this one is committed (`WritePath.read`). Events
        copied, or found here already."""
        total = 0
        fetching = asyncio.ensure_future(self._log_page(url, space, -1))
        read: Arrivals | None = None
        more = True
        try:
            while more or read is not None:
                following = None
                if more and (read is None or fetching.done()):
                    content, after = await fetching
                    more = bool(content)
                    if more:
                        fetching = asyncio.ensure_future(self._log_page(url, space, after))
                        following = await to_thread.run_sync(self._read_page, content)
                if read is not None:
                    outcomes = await to_thread.run_sync(self._commit, url, read)
                    total += sum(o.status in COPIED for o in outcomes)
                read = following
        finally:
            fetching.cancel()
        return total

    async def _preview(self, url: str, space: str) -> None:
        """Fetch what the space is shown by while it is copied: its founding event, its
        newest events and the peer's report; each request may fail alone."""
        at = f"{url}{API}/{space}"
        newest = {"before": joining.NEWEST, "limit": joining.RECENT}
        answers = await asyncio.gather(
            self.client.get(f"{at}/events", params={"id": space}),
            self.client.get(f"{at}/log", params=newest), self.client.get(f"{at}/summary"),
            return_exceptions=True,
        )  # fmt: skip
        create, recent, report = (_body(url, answer) for answer in answers)
        try:
            view = await to_thread.run_sync(
                lambda: joining.provisional(space, url, create, recent, report, self._held(space))
            )
        except Exception:
            LOG.exception("no provisional view of %s: building it failed", space)
            return
        if view is not None and space in self.backfilling:
            self.joining[space] = view

    def _held(self, space: str) -> int:
        try:
            return self.wiring.directory.space(space).events
        except NotFound:
            return 0

    def _settle(self, view: joining.Provisional) -> None:
        """Log where the provisional view disagreed with the fold, which stands."""
        try:
            members = self.wiring.directory.members(view.space)
        except NotFound:
            return
        accepted = set()
        for event in view.recent:
            with suppress(NotFound):
                if self.wiring.directory.event(event.id).accepted:
                    accepted.add(event.id)
        for problem in joining.disagreements(view, members, accepted):
            LOG.warning("%s from %s was shown otherwise than folded here (the fold stands): %s",
                        view.space, view.peer, problem)  # fmt: skip

    async def _log_page(self, url: str, space: str, after: int) -> tuple[bytes, int]:
        """One page of a peer's log after `after`, tried again with backoff if it fails."""
        for attempt in range(PAGE_ATTEMPTS):
            try:
                response = await self.client.get(
                    f"{url}{API}/{space}/log", params={"after": after, "limit": BACKFILL_PAGE}
                )
                response.raise_for_status()
                return response.content, last_position(response.headers)
            except (httpx.HTTPError, P2PError) as error:
                if attempt == PAGE_ATTEMPTS - 1 or isinstance(error, outbound.RefusedDestination):
                    raise
                LOG.info("log page of %s from %s failed (%s); trying again", space, url, error)
                await asyncio.sleep(backoff_ms(attempt) / 1000)
        raise AssertionError("unreachable")

    def _read_page(self, content: bytes) -> Arrivals:
        return self.wiring.writer.read(_decoded(line) for line in content.splitlines())

    def _commit(self, url: str, read: Arrivals) -> list[Outcome]:
        return self.wiring.writer.commit(read, hold_missing=True, origin=url)

    async def _ingest(self, url: str, wires: list[Any]) -> list[Outcome]:
        writer = self.wiring.writer
        return await to_thread.run_sync(lambda: writer.ingest(wires, hold_missing=True, origin=url))


def heads_of(answer: bytes) -> list[str]:
    """The heads a peer's `/heads` answer names: a list of up to MAX_HEADS event ids;
    anything else is refused (`bad_peer_answer`), never a crash of anti-entropy."""
    try:
        heads = orjson.loads(answer).get("heads")
    except (orjson.JSONDecodeError, AttributeError):
        heads = None
    if not isinstance(heads, list) or len(heads) > MAX_HEADS:
        raise P2PError("bad_peer_answer", "a peer's heads are not a list of event ids", 502)
    if not all(isinstance(head, str) and EVENT_ID.fullmatch(head) for head in heads):
        raise P2PError("bad_peer_answer", "a peer's heads are not a list of event ids", 502)
    return heads


def last_position(headers: httpx.Headers) -> int:
    """The `P2P-Last-Position` of a log page: an integer, else `bad_peer_answer`."""
    value = headers.get("p2p-last-position", "")
    if not value.lstrip("-").isdigit() or len(value) > 20:
        raise P2PError("bad_peer_answer", "a log page without a valid P2P-Last-Position", 502)
    return int(value)


def _decoded(line: bytes) -> Any:
    """An event line of a peer's log page, or None (refused by the write path as malformed)
    if it is not JSON."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        LOG.warning("a peer sent a log line that is not JSON")
        return None


def _body(url: str, answer: httpx.Response | BaseException) -> bytes:
    """A response's body, or nothing (logged) if the request failed."""
    if isinstance(answer, httpx.Response) and answer.status_code == 200:
        return answer.content
    problem = answer.status_code if isinstance(answer, httpx.Response) else answer
    LOG.info("%s did not answer for a provisional view: %s", url, problem)
    return b""
