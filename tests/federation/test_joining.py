"""What a node shows of a space while it copies its log: built from events verified one by
one and the holder's report, forged events left out, and replaced by the node's own fold
when the copy ends. The pure parts with plain values, then a real holder and a real joiner
in one process, the holder's answers held back and tampered with by the transport between
them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from conftest import LIGHT_HASHING
from federation.seeding import NAME, THREAD_TITLE, Seeded, forged_line, seeded_space
from p2pvalue.config import init_data_dir
from p2pvalue.events.canonical import digest
from p2pvalue.events.event import Event, build_event
from p2pvalue.events.keys import KeyPair
from p2pvalue.federation import joining, worker
from p2pvalue.federation.signatures import NodeAuth
from p2pvalue.federation.worker import Replicator
from p2pvalue.node import Node
from p2pvalue.web.app import create_app

SEEDED = seeded_space(300)
SPACE = SEEDED.space
HOLDER = "http://holder.test"


def _lines(events: Sequence[Event | bytes]) -> bytes:
    return b"\n".join(e.body if isinstance(e, Event) else e for e in events)


def _report(seeded: Seeded = SEEDED, **changes: Any) -> bytes:
    everyone = (seeded.founder, *seeded.members)
    members = [{"did": k.did, "status": "member", "roles": ["member"]} for k in everyone]
    report = {"space": seeded.space, "name": NAME, "description": "", "events": 300,
              "accepted": 300, "heads": [seeded.events[-1].id], "member_count": len(members),
              "members": members, **changes}  # fmt: skip
    return orjson.dumps(report)


def _newest(count: int) -> list[Event]:
    return list(reversed(SEEDED.events))[:count]


def test_the_view_shows_the_newest_events_that_verify_alone() -> None:
    stranger = KeyPair.generate()
    foreign = build_event(stranger, "post.create", {"text": "spam"}, space=SPACE,
                          prev=[SEEDED.events[-1].id], depth=300)  # fmt: skip
    other_space = seeded_space(5).events[-1]
    recent = _lines([forged_line(SEEDED), b"not json", foreign, other_space, *_newest(30)])
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, recent, _report(), 0)
    assert view is not None
    assert (view.name, view.create.id) == (NAME, SPACE)
    assert [e.id for e in view.recent] == [e.id for e in _newest(30)]


def test_without_a_member_list_any_verified_event_of_the_space_is_shown() -> None:
    stranger = KeyPair.generate()
    foreign = build_event(stranger, "post.create", {"text": "hello"}, space=SPACE,
                          prev=[SEEDED.events[-1].id], depth=300)  # fmt: skip
    partial = _report(member_count=500)
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, _lines([foreign]), partial, 0)
    assert view is not None and [e.id for e in view.recent] == [foreign.id]


def test_at_most_the_newest_hundred_are_shown() -> None:
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, _lines(_newest(250)),
                               _report(), 0)  # fmt: skip
    assert view is not None and len(view.recent) == joining.RECENT


def test_no_view_without_a_verified_founding_event_or_once_the_log_is_held() -> None:
    tampered = SEEDED.events[0].wire | {"content": {**SEEDED.events[0].content, "name": "X"}}
    recent = _lines(_newest(10))
    assert joining.provisional(SPACE, HOLDER, orjson.dumps(tampered), recent, _report(), 0) is None
    other = seeded_space(3).events[0].body  # verifies, but founds another space
    assert joining.provisional(SPACE, HOLDER, other, recent, _report(), 0) is None
    assert joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, recent, _report(), 300) is None


def test_without_a_report_only_the_founding_event_is_shown() -> None:
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, _lines(_newest(10)), b"", 0)
    assert view is not None
    shown = joining.space_view(view, None)
    assert (shown["name"], shown["membership"], shown["events"]) == (NAME, "open", 0)
    assert shown["sync"] | {"recent": None} == {
        "state": "backfilling", "peer": HOLDER, "held": 0, "total": None, "provisional": True,
        "members": None, "member_count": None, "recent": None}  # fmt: skip
    assert shown["sync"]["recent"] == []
    nonsense = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, b"", b'{"x": 1}', 0)
    assert nonsense is not None and nonsense.report is None


def test_the_api_view_counts_what_is_folded_against_what_the_holder_reported() -> None:
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, _lines(_newest(3)),
                               _report(), 120)  # fmt: skip
    assert view is not None
    shown = joining.space_view(view, {"id": SPACE, "name": NAME, "events": 120, "accepted": 119})
    sync = shown["sync"]
    assert (shown["events"], sync["held"], sync["total"], sync["member_count"]) == (
        120,
        120,
        300,
        4,
    )
    assert [r["id"] for r in sync["recent"]] == [e.id for e in _newest(3)]
    assert all(r["provisional"] for r in sync["recent"])


def test_disagreements_with_the_fold_are_named() -> None:
    view = joining.provisional(SPACE, HOLDER, SEEDED.events[0].body, _lines(_newest(2)),
                               _report(), 0)  # fmt: skip
    assert view is not None and view.report is not None
    folded = [m.model_dump() for m in view.report.members]
    accepted = {e.id for e in view.recent}
    assert joining.disagreements(view, folded, accepted) == []
    folded[1] = {**folded[1], "status": "removed", "roles": []}
    problems = joining.disagreements(view, folded, accepted - {_newest(1)[0].id})
    assert problems == [
        f"member {folded[1]['did']}: reported ('member', ['member']), folded ('removed', [])",
        f"event {_newest(1)[0].id} shown but not accepted",
    ]


# A real holder and a real joiner in one process.

Tamper = Callable[[httpx.Request, bytes], bytes]


class Between(httpx.AsyncBaseTransport):
    """The joiner's way to the holder's app: holds back the log pages after the first until
    `opened`, and lets `tamper(path, body)` change what the holder answers."""

    def __init__(self, app: Any, tamper: Tamper) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.tamper = tamper
        self.opened = asyncio.Event()
        self.holding = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        if request.url.path.endswith("/log") and int(params.get("after", "-1")) >= 0:
            self.holding.set()
            await self.opened.wait()
        response = await self.inner.handle_async_request(request)
        body = await response.aread()  # decoded: sent on without its content-encoding
        headers = [(k, v) for k, v in response.headers.items()
                   if k.lower() not in ("content-encoding", "content-length")]  # fmt: skip
        return httpx.Response(response.status_code, headers=headers,
                              content=self.tamper(request, body))  # fmt: skip


def _dishonest(request: httpx.Request, body: bytes) -> bytes:
    """A forged event first in the newest page, and a member who is not in the report."""
    if "before" in request.url.params:
        return forged_line(SEEDED) + b"\n" + body
    if request.url.path.endswith("/summary"):
        report = orjson.loads(body)
        report["members"].append({"did": FAKE.did, "status": "member", "roles": ["member"]})
        report["member_count"] += 1
        return orjson.dumps(report)
    return body


FAKE = KeyPair.generate()


@pytest.fixture
def holder(tmp_path: Path, database_url: str | None) -> Iterator[Node]:
    """The node holding the space, on each backend."""
    config = init_data_dir(tmp_path / "holder", database_url)
    with Node(config, password_hasher=LIGHT_HASHING) as node:
        outcomes = node.ingest([e.wire for e in SEEDED.events])
        assert {o.status for o in outcomes} == {"accepted"}
        yield node


@pytest.fixture
def joiner(tmp_path: Path) -> Iterator[Node]:
    with Node(init_data_dir(tmp_path / "joiner"), password_hasher=LIGHT_HASHING) as node:
        yield node


def _run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(1000):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_joining_node_shows_the_space_before_its_copy_ends_then_its_own_fold(
    holder: Node, joiner: Node, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(worker, "BACKFILL_PAGE", 100)
    caplog.set_level(logging.INFO)
    newest = [e.id for e in _newest(joining.RECENT)]

    async def scenario() -> None:
        between = Between(create_app(holder), _dishonest)
        replicator = Replicator(joiner.wiring, sync_every=3600, transport=between)
        app = create_app(joiner)
        app.state.replicator = replicator
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://joiner.test") as http:  # fmt: skip

            async def space() -> dict[str, Any]:
                found: dict[str, Any] = (await http.get(f"/api/v1/spaces/{SPACE}")).json()
                return found

            async def first_page_folded() -> bool:
                sync = (await space()).get("sync") or {}
                return bool(sync.get("held") == 100)

            copy = asyncio.create_task(replicator.backfill(HOLDER, SPACE))
            await asyncio.wait_for(between.holding.wait(), 30)
            await _until(first_page_folded, "the first page folded and the view shown")
            shown = await space()
            sync = shown.pop("sync")
            assert (shown["name"], shown["events"]) == (NAME, 100)
            assert (sync["state"], sync["provisional"], sync["total"]) == ("backfilling", True, 300)
            assert [r["id"] for r in sync["recent"]] == newest
            assert FAKE.did in {m["did"] for m in sync["members"]}
            page = (await http.get(f"/spaces/{SPACE}")).text
            assert "syncing 100 of 300" in page and NAME in page
            assert "<strong>note 299</strong>" in page  # the newest post, as Markdown
            assert f'<h3 class="thread-title">{THREAD_TITLE}</h3>' in page
            assert "<code>10:00</code>" in page and f"in “{THREAD_TITLE}”" in page
            assert "FORGED" not in page and "note 5<" not in page  # old: not shown yet
            assert "</a> posted</span>" in page and ">post.create<" not in page  # in words

            between.opened.set()
            assert await copy == 300
            await replicator.close()
            after = await space()
            assert "sync" not in after and (after["events"], after["accepted"]) == (300, 300)
            members = (await http.get(f"/api/v1/spaces/{SPACE}/members")).json()["members"]
            assert FAKE.did not in {m["did"] for m in members} and len(members) == 4
            page = (await http.get(f"/spaces/{SPACE}")).text
            assert "provisional" not in page and "syncing" not in page
            # In the fold's timeline now, told as activity with its Markdown rendered.
            assert "<strong>note 299</strong> on the <em>catalogue</em>" in page

    _run(scenario)
    refused = [r.getMessage() for r in caplog.records if "does not verify" in r.getMessage()]
    assert refused == [f"an event sent for {SPACE} does not verify (bad_signature): not shown"]
    settled = [r.getMessage() for r in caplog.records if "the fold stands" in r.getMessage()]
    assert len(settled) == 1 and FAKE.did in settled[0]


def test_the_holder_pages_its_log_newest_first_and_reports_the_space(holder: Node) -> None:
    async def scenario() -> None:
        key = KeyPair.generate()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(holder)),
                                     base_url=HOLDER, auth=NodeAuth(key)) as http:  # fmt: skip
            at = f"/federation/v1/spaces/{SPACE}"
            first = await http.get(f"{at}/log", params={"before": joining.NEWEST, "limit": 50})
            lines = first.content.splitlines()
            assert [orjson.loads(x)["content_hash"] for x in lines] == [
                e.wire["content_hash"] for e in _newest(50)]  # fmt: skip
            last = int(first.headers["p2p-last-position"])
            rest = await http.get(f"{at}/log", params={"before": last, "limit": 5000})
            assert (
                len(rest.content.splitlines()) == 250 and rest.headers["p2p-last-position"] == "0"
            )
            end = await http.get(f"{at}/log", params={"before": 0})
            assert (end.content, end.headers["p2p-last-position"]) == (b"", "0")
            report = (await http.get(f"{at}/summary")).json()
            assert (report["name"], report["events"], report["member_count"]) == (NAME, 300, 4)
            assert report["heads"] == [SEEDED.events[-1].id]
            missing = await http.get("/federation/v1/spaces/" + "A" * 43 + "/summary")
            assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_replicated")
            unsigned = await http.get(f"{at}/summary", auth=None)
            assert unsigned.status_code == 401

    _run(scenario)


def _forging_page_two(request: httpx.Request, body: bytes) -> bytes:
    """The 51st event of the second log page (the space's 151st) with its text changed."""
    if request.url.params.get("after") != "99":
        return body
    lines = body.splitlines()
    wire = orjson.loads(lines[50])
    wire["content"] = {"text": "FORGED"}
    wire["content_hash"] = digest(wire["content"])
    lines[50] = orjson.dumps(wire)
    return b"\n".join(lines)


def test_a_forged_event_in_a_page_is_refused_alone_and_what_hangs_on_it_waits(
    holder: Node, joiner: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker, "BACKFILL_PAGE", 100)

    async def scenario() -> None:
        between = Between(create_app(holder), _forging_page_two)
        between.opened.set()
        replicator = Replicator(joiner.wiring, sync_every=3600, transport=between)
        try:
            assert await replicator.backfill(HOLDER, SPACE) == 150
        finally:
            await replicator.close()

    _run(scenario)
    summary = joiner.space(SPACE)
    assert (summary.events, summary.accepted) == (150, 150)
    log = joiner.writer.log(SPACE)
    assert log is not None and list(log.order) == [e.id for e in SEEDED.events[:150]]
