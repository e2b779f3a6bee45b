"""The insight API: measures as JSON, chart data as CSV and JSON, precise refusals."""

from __future__ import annotations

import pytest

from web.client import ApiClient

CLAIM = {"kind": "code", "description": "parser", "quantity": 2, "unit": "hours"}


def test_measures_and_chart_data(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    claim = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    api.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    found = api.http.get(f"/api/v1/spaces/{space}/insight", params={"granularity": "week"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["granularity"] == "week"
    assert body["activity"][-1]["active"] == 2
    assert body["activity"][-1]["by_kind"]["claims"] == 1
    assert body["review"]["accepted"] == 1
    assert body["network"]["links"] == 1
    kinds = api.http.get(f"/api/v1/spaces/{space}/insight/charts/kinds.csv")
    assert kinds.status_code == 200 and kinds.headers["content-type"].startswith("text/csv")
    assert kinds.text.splitlines()[0] == "period,kind,count"
    assert any(line.endswith(",claims,1") for line in kinds.text.splitlines())
    rows = api.http.get(f"/api/v1/spaces/{space}/insight/charts/network.json").json()["rows"]
    assert {row["member"] for row in rows} == {"alice", "bob"}


def test_refusals_are_precise(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    bad = api.http.get(f"/api/v1/spaces/{space}/insight", params={"granularity": "year"})
    assert bad.status_code == 422 and "week, month" in bad.text
    unknown = api.http.get(f"/api/v1/spaces/{space}/insight/charts/pie.csv")
    assert unknown.status_code == 404 and "unknown_chart" in unknown.text
    off = api.http.get(f"/api/v1/spaces/{space}/insight/research/activity.csv", headers=alice.auth)
    assert off.status_code == 403 and "research_export_off" in off.text
    nobody = api.http.get(f"/api/v1/spaces/{space}/insight/research/activity.csv")
    assert nobody.status_code == 401


def test_reputation_over_time_and_value_charts_on_the_pages(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    claim = api.act(bob, space, "contribution.claim", CLAIM).json()["id"]
    api.act(alice, space, "contribution.review", {"claim": claim, "verdict": "approve"})
    found = api.http.get(f"/api/v1/spaces/{space}/insight/charts/reputation.csv")
    assert found.status_code == 200 and found.text.splitlines()[0] == "period,member,reputation"
    rows = api.http.get(f"/api/v1/spaces/{space}/insight/charts/reputation.json").json()["rows"]
    assert {row["member"] for row in rows} == {"alice", "bob"}
    assert sum(row["reputation"] for row in rows) == pytest.approx(1, abs=1e-4)
    health = api.http.get(f"/spaces/{space}/insight").text
    assert 'id="chart-reputation"' in health and "Reputation over time" in health
    drawn = api.http.get(f"/spaces/{space}/insight/value.svg")
    assert drawn.status_code == 200 and drawn.text.startswith("<svg")
    value_page = api.http.get(f"/spaces/{space}/value").text
    assert f'src="/spaces/{space}/insight/value.svg"' in value_page
    member = api.http.get(f"/spaces/{space}/members/{bob.did}").text
    assert f'src="/spaces/{space}/insight/members/{bob.did}/value.svg"' in member
    assert "Accepted value of bob over time" in member
    profile = api.http.get(f"/members/{bob.did}").text
    assert f"/insight/members/{bob.did}/value.svg" in profile


def test_each_member_s_place_month_by_month(api: ApiClient) -> None:
    alice, bob = api.sign_up("alice"), api.sign_up("bob")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    task = api.act(alice, space, "task.create", {"title": "parser"}).json()["id"]
    api.act(bob, space, "task.claim", {"task": task})
    found = api.http.get(f"/api/v1/spaces/{space}/insight/charts/places.json").json()
    assert [(row["member"], row["place"]) for row in found["rows"]] == [
        ("alice", "core"), ("bob", "core")]  # fmt: skip
    assert "2 members worked in the space: 2 in its core, 0 on its periphery" in found["sentence"]
    page = api.http.get(f"/spaces/{space}/insight").text
    assert 'id="chart-places"' in page
