"""Exporting ballots through the API: a proposal decided without rankings has none to
export, and says so (422 `no_ranked_ballots`) rather than answering with an empty file; a
proposal whose policy lets it close once everyone voted closes at once through the API."""

from __future__ import annotations

from typing import Any

from p2pvalue.governance.templates import default_charter
from web.client import ApiClient, error_code
from web.governance.test_api import join, propose, vote


def test_non_ranked_ballots_do_not_export_and_all_voted_closes_at_once(api: ApiClient) -> None:
    ann, ben = api.sign_up("ann"), api.sign_up("ben")
    charter = default_charter("open")
    charter["decisions"]["text"] = {"method": "majority", "close_when_all_voted": True}
    charter["decisions"]["picks"] = {"method": "approval", "close_when_all_voted": True}
    space = api.create_space(ann, charter=charter)
    join(api, space, ben)
    options = [{"id": "a"}, {"id": "b"}]
    made: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"title": "Yes or no", "action": {"type": "text"}}, {"choice": "yes"}),
        ({"title": "Pick", "kind": "picks", "action": {"type": "text"}, "options": options},
         {"approve": ["a"]}),
    ]  # fmt: skip
    for body, ballot in made:
        created = propose(api, ann, space, **body)
        assert created.status_code == 201, created.text
        proposal = created.json()["id"]
        for voter in (ann, ben):
            assert vote(api, voter, space, proposal, ballot).status_code == 201
        url = f"/api/v1/spaces/{space}/proposals/{proposal}/close"
        page = api.http.get(f"/spaces/{space}/proposals/{proposal}").text
        assert "Any member may close it as soon as every eligible voter has voted." in page
        closed = api.http.post(url, headers=ben.auth)  # a week before the window ends
        assert closed.status_code == 201, closed.text
        for format in ("preflib", "blt"):
            exported = api.http.get(
                f"/api/v1/proposals/{proposal}/ballots", params={"format": format}
            )
            assert (exported.status_code, error_code(exported)) == (422, "no_ranked_ballots")
            assert "only ranked ballots export" in exported.json()["error"]["message"]
