"""The governance API: templates, proposals from open to enacted, refusals with their codes,
an STV election with its ballots exported, delegations, recounts and notifications."""

from __future__ import annotations

from typing import Any

from clock import advance
from p2pvalue.governance.service import Governance
from p2pvalue.governance.templates import default_charter
from p2pvalue.node import Node
from web.client import ApiClient, Member, error_code

HOUR = 3_600_000


def join(api: ApiClient, space: str, *people: Member) -> None:
    for person in people:
        assert api.act(person, space, "member.join").status_code == 201


def members(api: ApiClient, space: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    return found


def propose(api: ApiClient, who: Member, space: str, **body: Any) -> Any:
    return api.http.post(f"/api/v1/spaces/{space}/proposals", json=body, headers=who.auth)


def vote(api: ApiClient, who: Member, space: str, proposal: str, ballot: dict[str, Any]) -> Any:
    url = f"/api/v1/spaces/{space}/proposals/{proposal}/votes"
    return api.http.post(url, json={"ballot": ballot}, headers=who.auth)


def test_a_role_grant_from_proposal_to_enactment(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    join(api, space, bob, carol)
    grant = {"type": "role.grant", "member": bob.did, "role": "moderator"}
    made = propose(api, alice, space, title="Bob moderates", action=grant)
    assert made.status_code == 201, made.text
    proposal = made.json()["id"]
    shown = api.http.get(f"/api/v1/spaces/{space}/proposals/{proposal}").json()
    assert (shown["status"], shown["policy"]["method"], shown["live"]["outcome"]) == (
        "open",
        "majority",
        "rejected",
    )
    assert vote(api, alice, space, proposal, {"choice": "yes"}).status_code == 201
    assert vote(api, bob, space, proposal, {"choice": "yes"}).status_code == 201
    closed = api.http.post(f"/api/v1/spaces/{space}/proposals/{proposal}/close", headers=carol.auth)
    assert closed.status_code == 201, closed.text
    shown = api.http.get(f"/api/v1/spaces/{space}/proposals/{proposal}").json()
    assert (shown["status"], shown["outcome"], shown["result"]["figures"]["yes"]) == (
        "enacted",
        "passed",
        2,
    )
    roles = {m["did"]: m["roles"] for m in members(api, space)}
    assert "moderator" in roles[bob.did]
    recount = api.http.get(f"/api/v1/proposals/{proposal}/recount").json()
    assert (recount["matches"], recount["recount"]["outcome"]) == (True, "passed")
    late = vote(api, carol, space, proposal, {"choice": "no"})
    assert (late.status_code, error_code(late)) == (422, "proposal_not_open")


def test_governance_refusals_have_codes_and_store_nothing(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    before = api.count(space)
    cases: list[tuple[Member, dict[str, Any], int, str]] = [
        (alice, {"title": "t", "action": {"type": "text"}, "options": [{"id": "a"}]},
         422, "options_need_choice_method"),
        (alice, {"title": "t", "action": {"type": "charter.amend",
                 "patch": {"founder_roles": ["ghost"]}}}, 422, "invalid_charter"),
        (alice, {"title": "t", "action": {"type": "role.grant", "member": bob.did,
                 "role": "admin"}}, 422, "target_not_a_member"),
        (alice, {"title": "t", "action": {"type": "dance"}}, 422, "invalid_content"),
        (bob, {"title": "t", "action": {"type": "text"}}, 403, "not_a_member"),
    ]  # fmt: skip
    for who, body, status, code in cases:
        refused = propose(api, who, space, **body)
        assert (refused.status_code, error_code(refused)) == (status, code), body
    assert api.count(space) == before


def test_an_stv_election_grants_the_role_and_exports_its_ballots(api: ApiClient) -> None:
    people = [api.sign_up(name) for name in ("ann", "ben", "cat", "dan")]
    charter = default_charter("open")
    charter["decisions"]["election"] = {
        "method": "stv",
        "seats": 2,
        "window_hours": 24,
        "early_close": True,
    }
    space = api.create_space(people[0], charter=charter)
    join(api, space, *people[1:])
    ann, ben, cat, dan = people
    options = [{"id": p.did, "label": p.username} for p in (ben, cat, dan)]
    made = propose(api, ann, space, title="Stewards", options=options,
                   action={"type": "election", "role": "moderator"})  # fmt: skip
    assert made.status_code == 201, made.text
    proposal = made.json()["id"]
    rankings = {ann: [ben, cat], ben: [ben, dan], cat: [cat, ben], dan: [ben, cat, dan]}
    for voter, ranking in rankings.items():
        ballot = {"ranking": [p.did for p in ranking]}
        assert vote(api, voter, space, proposal, ballot).status_code == 201
    unknown = vote(api, ann, space, proposal, {"ranking": ["nobody"]})
    assert (unknown.status_code, error_code(unknown)) == (422, "unknown_option")
    closed = api.http.post(f"/api/v1/spaces/{space}/proposals/{proposal}/close", headers=ann.auth)
    assert closed.status_code == 201, closed.text
    shown = api.http.get(f"/api/v1/spaces/{space}/proposals/{proposal}").json()
    assert shown["winners"] == [ben.did, cat.did]
    roles = {m["did"]: m["roles"] for m in members(api, space)}
    assert "moderator" in roles[ben.did] and "moderator" in roles[cat.did]
    assert "moderator" not in roles[dan.did]
    blt = api.http.get(f"/api/v1/proposals/{proposal}/ballots", params={"format": "blt"})
    assert blt.status_code == 200 and blt.text.splitlines()[0] == "3 2"
    preflib = api.http.get(f"/api/v1/proposals/{proposal}/ballots").text
    assert "# NUMBER VOTERS: 4" in preflib


def test_templates_delegations_and_notifications(api: ApiClient) -> None:
    templates = api.http.get("/api/v1/templates").json()["templates"]
    assert set(templates) == {"open_source", "cooperative", "maker_network"}
    assert templates["open_source"]["decisions"]["default"]["method"] == "lazy_consensus"
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice, template="cooperative")
    charter = api.http.get(f"/api/v1/spaces/{space}/charter").json()
    assert charter["charter"]["decisions"]["default"]["method"] == "consent"
    assert len(charter["history"]) == 1
    delegated = api.http.post(f"/api/v1/spaces/{space}/delegations",
                              json={"kind": "*", "to": alice.did}, headers=bob.auth)  # fmt: skip
    assert (delegated.status_code, error_code(delegated)) == (403, "not_a_member")
    made = propose(api, alice, space, title="Buy a laser cutter", action={"type": "text"})
    notes = api.http.get("/api/v1/me/notifications", headers=alice.auth).json()
    assert [(n["proposal"], n["kind"]) for n in notes["notifications"]] == [
        (made.json()["id"], "proposal_opened")
    ]


def test_a_vote_reminder_shows_in_the_api_and_the_page_until_one_votes(
    api: ApiClient, node: Node
) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    charter = default_charter("open")
    charter["decisions"]["default"] = {"method": "majority", "window_hours": 10,
                                       "remind_before_hours": 3}  # fmt: skip
    space = api.create_space(alice, charter=charter)
    join(api, space, bob)
    proposal = propose(api, alice, space, title="Paint it", action={"type": "text"}).json()["id"]
    node.service(Governance).keep_deadlines()
    advance(node, 8 * HOUR)
    url, kind = "/api/v1/me/notifications", {"kind": "vote_reminder"}
    notes = api.http.get(url, params=kind, headers=bob.auth).json()["notifications"]
    assert [(n["proposal"], n["message"], n["closes_in_hours"]) for n in notes] == [
        (proposal, "Vote on 'Paint it' — it closes in 2 hours", 2)
    ]
    page = api.http.get("/notifications", headers=bob.auth).text
    assert f'href="/spaces/{space}/proposals/{proposal}#vote"' in page
    assert "Vote on “Paint it” in " in page and ": it closes in 2 hours." in page
    assert vote(api, bob, space, proposal, {"choice": "yes"}).status_code == 201
    assert api.http.get(url, params=kind, headers=bob.auth).json() == {"notifications": []}


def test_a_secret_ballot_that_cannot_be_signed_is_refused(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    charter = default_charter("open")
    charter["decisions"]["default"] = {"method": "majority", "secret": True}
    space = api.create_space(alice, charter=charter)
    made = propose(api, alice, space, title="t", action={"type": "text"})
    before = api.count(space)
    huge = vote(api, alice, space, made.json()["id"], {"choice": "yes", "n": 2**70})
    assert (huge.status_code, error_code(huge)) == (422, "integer_out_of_range")
    odd = vote(api, alice, space, made.json()["id"], {"choice": "maybe"})
    assert (odd.status_code, error_code(odd)) == (422, "bad_ballot")
    assert api.count(space) == before


def _passed(api: ApiClient, space: str, who: Member, voters: list[Member], **body: Any) -> str:
    """A proposal by `who` that `voters` carry, closed early as passed."""
    made = propose(api, who, space, **{"title": "Buy a laser cutter", **body})
    assert made.status_code == 201, made.text
    proposal: str = made.json()["id"]
    for voter in voters:
        assert vote(api, voter, space, proposal, {"choice": "yes"}).status_code == 201
    closed = api.http.post(f"/api/v1/spaces/{space}/proposals/{proposal}/close", headers=who.auth)
    assert closed.status_code == 201, closed.text
    return proposal


def test_an_outcome_statement_and_follow_ups_after_the_close(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    join(api, space, bob, carol)
    made = propose(api, bob, space, title="Buy a laser cutter", action={"type": "text"})
    url = f"/api/v1/spaces/{space}/proposals/{made.json()['id']}"
    early = api.http.post(url + "/outcome", json={"statement": "soon"}, headers=bob.auth)
    assert (early.status_code, error_code(early)) == (422, "proposal_not_closed")
    proposal = made.json()["id"]
    for voter in (alice, bob):
        assert vote(api, voter, space, proposal, {"choice": "yes"}).status_code == 201
    assert api.http.post(url + "/close", headers=bob.auth).status_code == 201
    said = "We buy it. **Carol** orders it <script>alert(1)</script>"
    stated = api.http.post(url + "/outcome", json={"statement": said}, headers=bob.auth)
    assert stated.status_code == 201, stated.text
    outsider = api.http.post(url + "/outcome", json={"statement": "no"}, headers=carol.auth)
    assert (outsider.status_code, error_code(outsider)) == (403, "not_a_facilitator")
    added = api.http.post(url + "/followups", json={"title": "Order it"}, headers=bob.auth)
    assert added.status_code == 201, added.text
    item = added.json()["id"]
    change = {"status": "in_progress", "progress": 60}
    assert (
        api.http.post(f"{url}/followups/{item}", json=change, headers=alice.auth).status_code == 201
    )
    refused = api.http.post(f"{url}/followups/{item}", json=change, headers=carol.auth)
    assert (refused.status_code, error_code(refused)) == (403, "not_a_facilitator")
    missing = api.http.post(f"{url}/followups/{proposal}", json=change, headers=bob.auth)
    assert (missing.status_code, error_code(missing)) == (404, "unknown_followup")
    shown = api.http.get(url).json()
    statement = shown["statement"]
    assert (statement["source"], statement["author"], statement["revisions"]) == (said, bob.did, 1)
    assert "<strong>Carol</strong>" in statement["html"] and "<script>" not in statement["html"]
    assert [(f["title"], f["status"], f["progress"]) for f in shown["followups"]] == [
        ("Order it", "in_progress", 60)
    ]


def test_follow_ups_only_on_a_passed_decision_in_words(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    join(api, space, bob, carol)
    grant = {"type": "role.grant", "member": bob.did, "role": "moderator"}
    applied = _passed(api, space, alice, [alice, bob], action=grant)
    url = f"/api/v1/spaces/{space}/proposals/{applied}/followups"
    refused = api.http.post(url, json={"title": "x"}, headers=alice.auth)
    assert (refused.status_code, error_code(refused)) == (422, "applied_by_platform")
    rejected = propose(api, alice, space, title="Sell it", action={"type": "text"}).json()["id"]
    for voter in (alice, bob):
        assert vote(api, voter, space, rejected, {"choice": "no"}).status_code == 201
    closing = f"/api/v1/spaces/{space}/proposals/{rejected}/close"
    assert api.http.post(closing, headers=alice.auth).status_code == 201
    before = api.count(space)
    url = f"/api/v1/spaces/{space}/proposals/{rejected}/followups"
    refused = api.http.post(url, json={"title": "x"}, headers=alice.auth)
    assert (refused.status_code, error_code(refused)) == (422, "proposal_not_passed")
    assert api.count(space) == before


def test_a_meeting_time_poll_in_the_api_and_on_the_page(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    charter = default_charter("open")
    charter["decisions"]["meeting"] = {"method": "meeting", "window_hours": 48}
    space = api.create_space(alice, charter=charter)
    join(api, space, bob, carol)
    when = {"title": "When do we meet?", "kind": "meeting", "action": {"type": "text"}}
    wrong = propose(api, alice, space, **when, options=[{"id": "monday"}])
    assert (wrong.status_code, error_code(wrong)) == (422, "option_not_a_time")
    times = ["2026-12-10T09:00Z", "2026-12-10T15:00Z"]
    made = propose(api, alice, space, **when, options=[{"id": t} for t in times])
    assert made.status_code == 201, made.text
    poll = made.json()["id"]
    marks = {alice: {times[0]: "yes"}, bob: {times[0]: "no", times[1]: "if_need_be"},
             carol: {times[1]: "yes"}}  # fmt: skip
    for who, available in marks.items():
        cast = vote(api, who, space, poll, {"availability": available})
        assert cast.status_code == 201, cast.text
    shown = api.http.get(f"/api/v1/spaces/{space}/proposals/{poll}").json()
    assert shown["live"]["winners"] == [times[1]]
    assert shown["live"]["figures"]["can_come"] == {times[0]: 1, times[1]: 2}
    page = api.http.get(f"/spaces/{space}/proposals/{poll}?tz=Europe/Madrid").text
    best = page.index('<li data-time="2026-12-10T15:00Z">')
    assert best < page.index('<li data-time="2026-12-10T09:00Z">')
    assert '<time datetime="2026-12-10T15:00Z">Thu 10 Dec 2026, 16:00 CET</time>' in page
    assert "if need be: bob" in page
    assert "Times are in Europe/Madrid" not in page  # the vote form is for voters only
    zone = {"Cookie": "tz=America/New_York", **bob.auth}  # as static/timezone.js sets it
    mine = api.http.get(f"/spaces/{space}/proposals/{poll}", headers=zone).text
    assert "Times are in America/New_York" in mine
    assert '<time datetime="2026-12-10T09:00Z">Thu 10 Dec 2026, 04:00 EST</time>' in mine
    assert '<option value="if_need_be" selected>' in mine
