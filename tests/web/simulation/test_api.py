"""The what-if API: a policy tried on a space's history, and refusals that name the field."""

from __future__ import annotations

from typing import Any

from p2pvalue.accounting.equation import default_equation_content
from p2pvalue.accounting.types import DEFAULT_KINDS
from web.client import ApiClient, Member, error_code


def worked(api: ApiClient) -> tuple[str, Member, Member]:
    """alice approves bob's 3 hours of docs and carol's 2 hours of code; 100 EUR came in."""
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    for member, kind, hours in ((bob, "docs", 3), (carol, "code", 2)):
        assert api.act(member, space, "member.join").status_code == 201
        claim = {"kind": kind, "description": "work", "quantity": hours, "unit": "hours"}
        claimed = api.act(member, space, "contribution.claim", claim).json()["id"]
        review = {"claim": claimed, "verdict": "approve"}
        assert api.act(alice, space, "contribution.review", review).status_code == 201
    income = {"amount": 10_000, "currency": "EUR", "source": "grant"}
    assert api.act(alice, space, "income.record", income).status_code == 201
    return space, bob, carol


def docs_weighed(times: int) -> dict[str, Any]:
    equation = default_equation_content(DEFAULT_KINDS)
    equation["kinds"]["docs"]["weight"] = {"num": times, "den": 1}
    return {"value": {"equation": equation}}


def test_a_heavier_weight_for_docs_shows_who_gains_and_the_months_ahead(api: ApiClient) -> None:
    space, bob, carol = worked(api)
    body = {"patch": docs_weighed(3), "months": 6, "runs": 20, "budget": "50.00"}
    found = api.http.post(f"/api/v1/spaces/{space}/simulation/what-if", json=body)
    assert found.status_code == 200, found.text
    result = found.json()
    by = {row["member"]: row for row in result["replay"]["members"]}
    # Unpaid hours at 20 points, twice: bob 3 h of docs, now weighed 3x; carol 2 h of code.
    assert (by[bob.did]["value_before"]["approx"], by[bob.did]["value_after"]["approx"]) == (
        120.0, 360.0)  # fmt: skip
    assert by[carol.did]["value_after"]["approx"] == 80.0 and by[bob.did]["gains"]
    forecast = result["forecast"]
    assert (forecast["months"], forecast["runs"], forecast["budget"]) == (6, 20, 5_000)
    assert forecast["then"]["paid"]["median"] == [5_000.0] * 6
    assert set(forecast["member_paid"]) >= {bob.did, carol.did}
    assert result["value_changed"] and result["recounts"] == []


def test_a_stricter_decision_rule_is_tried_on_no_past_proposals(api: ApiClient) -> None:
    space, _, _ = worked(api)
    patch = {"decisions": {"general": {"method": "majority", "threshold": "2/3"}}}
    found = api.http.post(f"/api/v1/spaces/{space}/simulation/what-if",
                          json={"patch": patch, "runs": 10})  # fmt: skip
    assert found.status_code == 200, found.text
    assert found.json()["decisions_changed"] == ["general"] and found.json()["replay"] is None


def test_refusals_name_what_is_wrong_and_change_nothing(api: ApiClient) -> None:
    space, _, _ = worked(api)
    before = api.count(space)
    url = f"/api/v1/spaces/{space}/simulation/what-if"
    bad_equation = api.http.post(url, json={"patch": {"value": {"equation": {"version": 0}}}})
    assert (bad_equation.status_code, error_code(bad_equation)) == (422, "invalid_trial")
    assert bad_equation.json()["error"]["message"].startswith("equation:")
    bad_budget = api.http.post(url, json={"budget": "12.345", "currency": "EUR"})
    assert (bad_budget.status_code, error_code(bad_budget)) == (422, "too_many_decimals")
    too_long = api.http.post(url, json={"months": 61})
    assert too_long.status_code == 422
    odd = [{"value": 5}, {"decisions": {"general": {"method": "dice"}}},
           {"value": {"payout_policy": "LOTTERY"}}, {"value": {"acceptance": {"approvals": 0}}},
           {"membership": "nobody"}]  # fmt: skip
    answers = [api.http.post(url, json={"patch": patch, "runs": 10}) for patch in odd]
    assert [(a.status_code, error_code(a)) for a in answers] == [(422, "invalid_trial")] * 5
    named = [a.json()["error"]["message"].split(":")[0] for a in answers[1:4]]
    assert named == ["decisions", "payout_policy", "acceptance"]
    assert api.count(space) == before
