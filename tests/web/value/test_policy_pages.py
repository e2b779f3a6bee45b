"""The pages that show a space's value policy read it from the charter in force: the
payout preview names the payout policy, the charter page describes the policy."""

from __future__ import annotations

from typing import Any

from p2pvalue.governance.templates import default_charter
from web.client import ApiClient


def pages(api: ApiClient, charter: dict[str, Any]) -> tuple[str, str]:
    """The payout preview and the charter page of a new space founded with `charter`."""
    space = api.create_space(api.sign_up("alice"), charter=charter)
    payout = api.http.get(f"/spaces/{space}/value/payout")
    shown = api.http.get(f"/spaces/{space}/charter")
    assert (payout.status_code, shown.status_code) == (200, 200)
    return payout.text, shown.text


def test_a_value_policy_is_shown_with_its_payout_policy(api: ApiClient) -> None:
    charter = default_charter()
    charter["value"]["payout_policy"] = "RECENT"
    payout, shown = pages(api, charter)
    assert "the charter's payout policy (recent work first)" in payout
    assert "Money coming in is split by value contributed, recent work counting more." in shown
    assert "Kinds of contribution: " + ", ".join(charter["value"]["kinds"]) + "." in shown


def test_a_charter_without_value_policy_says_so(api: ApiClient) -> None:
    charter = default_charter()
    del charter["value"]
    payout, shown = pages(api, charter)
    assert "the charter's payout policy (none)" in payout
    assert "This space keeps no value accounts." in shown
    assert 'id="value-policy"' not in shown
