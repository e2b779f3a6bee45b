"""The value API: claims and the review queue, the ledger, refusals with their codes."""

from __future__ import annotations

import csv
import io
from typing import Any

from web.client import ApiClient, error_code

CLAIM: dict[str, Any] = {
    "kind": "docs", "description": "Assembly guide, chapter 2", "quantity": 3,
    "unit": "hours", "evidence": ["https://example.org/guide/2"],
}  # fmt: skip


def test_claim_review_queue_and_ledger(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    claimed = api.act(bob, space, "contribution.claim", CLAIM)
    assert claimed.status_code == 201, claimed.text
    queue = api.http.get(f"/api/v1/spaces/{space}/claims", params={"status": "pending"}).json()
    assert [c["id"] for c in queue["claims"]] == [claimed.json()["id"]]
    assert queue["claims"][0]["shares"] == {bob.did: 10_000}

    own = api.act(bob, space, "contribution.review", {"claim": claimed.json()["id"],
                                                       "verdict": "approve"})  # fmt: skip
    assert (own.status_code, error_code(own)) == (422, "own_claim")
    review = {"claim": claimed.json()["id"], "verdict": "approve"}
    assert api.act(alice, space, "contribution.review", review).status_code == 201
    assert api.http.get(f"/api/v1/spaces/{space}/claims?status=pending").json()["claims"] == []
    mine = api.http.get(f"/api/v1/spaces/{space}/claims", params={"member": bob.did}).json()
    assert [(c["status"], c["reviews"][0]["reviewer"]) for c in mine["claims"]] == [
        ("accepted", alice.did)
    ]

    income = {"amount": 25_000, "currency": "EUR", "source": "NLnet grant"}
    assert api.act(alice, space, "income.record", income).status_code == 201
    ledger = api.http.get(f"/api/v1/spaces/{space}/ledger").json()
    assert ledger["balances"] == {"EUR": 25_000}
    assert ledger["claims"] == {"pending": 0, "disputed": 0, "accepted": 1, "rejected": 0}


def test_value_refusals_have_codes_and_store_nothing(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    before = api.count(space)
    cases = [
        ("contribution.claim", {**CLAIM, "quantity": -2}, "quantity_not_positive"),
        ("contribution.claim", {**CLAIM, "kind": "astrology"}, "unknown_kind"),
        ("contribution.claim", {**CLAIM, "unit": "money"}, "currency_mismatch"),
        ("contribution.review", {"claim": "A" * 43, "verdict": "approve"}, "unknown_claim"),
        ("income.record", {"amount": 0, "currency": "EUR", "source": "x"}, "amount_not_positive"),
        (
            "payout.run",
            {"currency": "EUR", "budget": 10, "policy": "BALANCED", "allocations": {alice.did: 10}},
            "insufficient_balance",
        ),
    ]
    for type, content, code in cases:
        response = api.act(alice, space, type, content)
        assert (response.status_code, error_code(response)) == (422, code), type
    assert api.count(space) == before
    unknown = api.http.get(f"/api/v1/spaces/{'B' * 43}/ledger")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_space")


def test_values_breakdown_and_what_if(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    api.act(bob, space, "member.join")
    docs = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    code = {**CLAIM, "kind": "code", "quantity": 1, "evidence": ["commit:1"]}
    coded = api.act(alice, space, "contribution.claim", code).json()["id"]
    api.act(alice, space, "contribution.review", {"claim": docs, "verdict": "approve"})
    api.act(bob, space, "contribution.review", {"claim": coded, "verdict": "approve"})

    claims = api.http.get(f"/api/v1/spaces/{space}/claims?member={bob.did}").json()["claims"]
    # 3 unpaid hours at the default 20 points an hour, doubled for unpaid time: 120.
    assert claims[0]["value"] == {"num": 120, "den": 1, "approx": 120.0}
    assert [s["step"] for s in claims[0]["breakdown"]] == [
        "quantity", "rate", "weight", "multiplier:unpaid_time"
    ]  # fmt: skip
    values = api.http.get(f"/api/v1/spaces/{space}/values").json()["members"]
    # Each reviewed the other's claim; a review is worth 5: bob 120 + 5, alice 40 + 5.
    assert values[bob.did]["share"] == {"num": 25, "den": 34, "approx": 25 / 34}
    assert values[alice.did]["value"]["num"] == 45

    kinds = api.http.get(f"/api/v1/spaces/{space}").json()["charter"]["value"]["kinds"]
    hour: dict[str, Any] = {"unit": "hours", "rate": {"num": 1, "den": 1}}
    rules: dict[str, Any] = {kind: hour for kind in kinds}
    rules["money"] = {"unit": "money", "rate": {"num": 1, "den": 100}}
    rules["code"] = {"unit": "hours", "rate": {"num": 3, "den": 1}}
    proposal: dict[str, Any] = {
        "version": 2, "effective_from": 0, "kinds": rules,
        "currencies": {"EUR": {"num": 1, "den": 1}},
    }  # fmt: skip
    diff = api.http.post(f"/api/v1/spaces/{space}/what-if", json={"equation": proposal})
    assert diff.status_code == 200, diff.text
    members = diff.json()["members"]
    assert members[bob.did]["before"]["share"]["approx"] == 25 / 34
    assert members[bob.did]["after"]["value"]["num"] == 4  # 3 hours at 1, one review at 1
    assert members[alice.did]["after"]["share"] == {"num": 1, "den": 2, "approx": 0.5}
    unknown = {**proposal, "kinds": {**rules, "juggling": hour}}
    refused = api.http.post(f"/api/v1/spaces/{space}/what-if", json={"equation": unknown})
    assert (refused.status_code, error_code(refused)) == (422, "unknown_kind")


def test_payout_preview_run_and_csv(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    api.act(bob, space, "member.join")
    claimed = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    api.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    api.act(alice, space, "income.record", {"amount": 999, "currency": "EUR", "source": "fees"})
    body = {"currency": "EUR", "budget": 999}
    preview = api.http.post(f"/api/v1/spaces/{space}/payouts/preview", json=body).json()
    # Bob's 120 points and Alice's review (5 points) split 999 cents: 959 and 40.
    assert (preview["policy"], preview["amounts"]) == ("BALANCED", {bob.did: 959, alice.did: 40})
    assert preview["explanations"][bob.did]["balance"]["underpayment"] is not None
    unauthenticated = api.http.post(f"/api/v1/spaces/{space}/payouts", json=body)
    assert unauthenticated.status_code == 401
    ran = api.http.post(f"/api/v1/spaces/{space}/payouts", json=body, headers=alice.auth)
    assert ran.status_code == 201, ran.text
    csv = api.http.get(f"/api/v1/spaces/{space}/payouts.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    header, *rows = [line.split(",") for line in csv.text.splitlines()]
    assert header == ["payout", "ts", "currency", "policy", "member", "amount_minor", "earmark"]
    paid = {(r[0], r[2], r[3], r[4], r[5], r[6]) for r in rows}
    assert paid == {(ran.json()["id"], "EUR", "BALANCED", bob.did, "959", ""),
                    (ran.json()["id"], "EUR", "BALANCED", alice.did, "40", "")}  # fmt: skip
    again = api.http.post(f"/api/v1/spaces/{space}/payouts", json=body, headers=alice.auth)
    assert (again.status_code, error_code(again)) == (422, "insufficient_balance")


def test_reputation_scores_and_their_explanation(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    for member in (bob, carol):
        api.act(member, space, "member.join")
    for author, hours in ((bob, 3), (carol, 1)):
        claim = {**CLAIM, "quantity": hours, "evidence": [f"doc:{hours}"], "project": "guide"}
        claimed = api.act(author, space, "contribution.claim", claim).json()["id"]
        api.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    scores = api.http.get(f"/api/v1/spaces/{space}/reputation").json()["scores"]
    assert next(iter(scores)) == bob.did
    assert abs(sum(scores.values()) - 1) < 1e-9
    assert scores[alice.did] > 0  # reviewing earns reputation too
    explained = api.http.get(f"/api/v1/spaces/{space}/reputation/{bob.did}").json()
    parts = explained["teleport"] + sum(f["amount"] for f in explained["flows"])
    assert abs(parts + explained["other"] - explained["score"]) < 1e-9
    assert {f["edge"] for f in explained["flows"]} == {"authorship"}
    unknown = api.http.get(f"/api/v1/spaces/{space}/reputation/did:key:z6Mkunknown")
    assert (unknown.status_code, error_code(unknown)) == (404, "reputation.unknown_member")


def test_earmarked_income_is_paid_out_only_by_an_earmarked_run(api: ApiClient) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    for member in (bob, carol):
        api.act(member, space, "member.join")
    for author, project, hours in ((bob, "seeds, beans", 3), (carol, None, 1)):
        claim = {**CLAIM, "quantity": hours, "evidence": [f"doc:{hours}"], "project": project}
        claimed = api.act(author, space, "contribution.claim", claim).json()["id"]
        api.act(alice, space, "contribution.review", {"claim": claimed, "verdict": "approve"})
    grant = {"amount": 1_250, "currency": "EUR", "source": "seed fund", "earmark": "seeds, beans"}
    assert api.act(alice, space, "income.record", grant).status_code == 201
    api.act(alice, space, "income.record", {"amount": 100, "currency": "EUR", "source": "fees"})
    ledger = api.http.get(f"/api/v1/spaces/{space}/ledger").json()
    assert (ledger["balances"], ledger["earmarked"]) == (
        {"EUR": 100},
        {"seeds, beans": {"EUR": 1_250}},
    )

    url = f"/api/v1/spaces/{space}/payouts"
    body = {"currency": "EUR", "budget": 1_250, "earmark": "seeds, beans"}
    preview = api.http.post(f"{url}/preview", json=body).json()
    # Only the seeds claim (bob, 120 points) and its review (alice, 5) share the grant.
    assert (preview["earmark"], preview["amounts"]) == (
        "seeds, beans",
        {bob.did: 1_200, alice.did: 50},
    )
    general = api.http.post(url, json={**body, "earmark": None}, headers=alice.auth)
    assert (general.status_code, error_code(general)) == (422, "insufficient_balance")
    nobody = api.http.post(url, json={**body, "budget": 1, "earmark": "tools"}, headers=alice.auth)
    assert (nobody.status_code, error_code(nobody)) == (422, "insufficient_balance")
    ran = api.http.post(url, json=body, headers=alice.auth)
    assert ran.status_code == 201, ran.text
    run = next(e for e in api.log(space) if e["id"] == ran.json()["id"])["event"]
    assert run["content"]["earmark"] == "seeds, beans"
    api.http.post(url, json={"currency": "EUR", "budget": 100}, headers=alice.auth)
    ledger = api.http.get(f"/api/v1/spaces/{space}/ledger").json()
    assert (ledger["balances"], ledger["earmarked"]) == ({"EUR": 0}, {"seeds, beans": {"EUR": 0}})

    text = api.http.get(f"{url}.csv", params={"earmark": "seeds, beans"}).text
    assert {tuple(row[4:]) for row in list(csv.reader(io.StringIO(text)))[1:]} == {
        (alice.did, "50", "seeds, beans"), (bob.did, "1200", "seeds, beans"),
    }  # fmt: skip
    everything = list(csv.reader(io.StringIO(api.http.get(f"{url}.csv").text)))
    assert sorted(row[6] for row in everything[1:]) == ["", "", "", "seeds, beans", "seeds, beans"]


def test_endorsements_through_the_api(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    api.act(bob, space, "member.join")
    claimed = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    endorse = {"claim": claimed, "note": "clear and complete"}
    assert api.act(alice, space, "contribution.endorse", endorse).status_code == 201
    again = api.act(alice, space, "contribution.endorse", endorse)
    assert (again.status_code, error_code(again)) == (422, "already_endorsed")
    own = api.act(bob, space, "contribution.endorse", {"claim": claimed})
    assert (own.status_code, error_code(own)) == (422, "own_claim")
    found = api.http.get(f"/api/v1/spaces/{space}/claims").json()["claims"][0]
    assert [(e["endorser"], e["note"]) for e in found["endorsements"]] == [
        (alice.did, "clear and complete")
    ]


def test_claims_come_in_pages_with_totals_and_filters(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    api.act(bob, space, "member.join")
    made = []
    for index in range(7):
        content = {**CLAIM, "kind": ("docs", "code")[index % 2], "description": f"part {index}",
                   "evidence": [f"https://example.org/guide/{index}"]}  # fmt: skip
        made.append(api.act(bob, space, "contribution.claim", content).json()["id"])
    for claim in made[:3]:
        api.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    listing = f"/api/v1/spaces/{space}/claims"

    first = api.http.get(listing, params={"limit": 3}).json()
    assert [c["id"] for c in first["claims"]] == made[:3]
    assert (first["next"], first["total"]) == (made[2], 7)
    assert first["statuses"] == {"pending": 4, "disputed": 0, "accepted": 3, "rejected": 0}
    seen, after = [], None
    while True:
        page = api.http.get(listing, params={"limit": 3, **({"after": after} if after else {})})
        seen += [c["id"] for c in page.json()["claims"]]
        after = page.json()["next"]
        if after is None:
            break
    assert seen == made
    assert len(api.http.get(listing).json()["claims"]) == 7  # the default page holds 50

    docs = api.http.get(listing, params={"kind": "docs", "status": "pending"}).json()
    assert [c["id"] for c in docs["claims"]] == [made[4], made[6]]
    assert (docs["total"], docs["next"]) == (2, None)
    # The counts per status are of the claims that pass every filter but the status.
    assert docs["statuses"] == {"pending": 2, "disputed": 0, "accepted": 2, "rejected": 0}
    # A cursor that the filters leave out still says where to continue.
    later = api.http.get(listing, params={"status": "pending", "after": made[1]}).json()
    assert [c["id"] for c in later["claims"]] == made[3:]
    nobody = api.http.get(listing, params={"member": alice.did}).json()
    assert (nobody["claims"], nobody["total"], nobody["next"]) == ([], 0, None)


def test_a_page_out_of_bounds_or_after_an_unknown_claim_is_refused(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    api.act(alice, space, "contribution.claim", CLAIM)
    listing = f"/api/v1/spaces/{space}/claims"
    at_most = "query.limit: Input should be less than or equal to 100"
    cases = [
        ({"limit": 0}, "invalid_request", "query.limit: Input should be greater than or equal"),
        ({"limit": 101}, "invalid_request", at_most),
        ({"limit": 1000}, "invalid_request", at_most),
        ({"limit": "ten"}, "invalid_request", "query.limit: Input should be a valid integer"),
        ({"after": "A" * 44}, "invalid_request", "query.after: String should have at most 43"),
        ({"after": "A" * 43}, "unknown_cursor", f"after: no claim '{'A' * 43}' in this space"),
        ({"after": space}, "unknown_cursor", "after: no claim"),  # an event, but no claim
    ]  # fmt: skip
    for params, code, message in cases:
        refused = api.http.get(listing, params=params)
        assert (refused.status_code, error_code(refused)) == (422, code), params
        assert refused.json()["error"]["message"].startswith(message), refused.text
