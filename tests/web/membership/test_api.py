"""The membership API: invitations by username, invite links, join requests, each bad
input answered with its own 4xx and nothing written."""

from __future__ import annotations

from typing import Any

from clock import advance
from p2pvalue.membership.links import HOUR_MS
from p2pvalue.node import Node
from web.client import ApiClient, Member, error_code


def _statuses(api: ApiClient, space: str) -> dict[str, str]:
    members = api.http.get(f"/api/v1/spaces/{space}/members").json()["members"]
    return {m["did"]: m["status"] for m in members}


def _invite(api: ApiClient, who: Member, space: str, username: str) -> Any:
    return api.http.post(f"/api/v1/spaces/{space}/invitations", json={"username": username},
                         headers=who.auth)  # fmt: skip


def _link(api: ApiClient, who: Member, space: str, hours: int = 24, uses: int = 1) -> Any:
    body = {"hours": hours, "uses": uses}
    return api.http.post(f"/api/v1/spaces/{space}/invite-links", json=body, headers=who.auth)


def test_an_invitation_by_username_lets_them_join(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="invite")
    invited = _invite(api, ana, space, "ben")
    assert invited.status_code == 201, invited.text
    assert (invited.json()["how"], invited.json()["member"]) == ("invited", ben.did)
    assert _statuses(api, space)[ben.did] == "invited"
    joined = api.http.post(f"/api/v1/spaces/{space}/invitations/accept", headers=ben.auth)
    assert joined.status_code == 201, joined.text
    assert _statuses(api, space)[ben.did] == "member"


def test_an_unknown_username_is_404_and_a_second_invitation_409(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="invite")
    before = api.count(space)
    unknown = _invite(api, ana, space, "nobody-here")
    assert (unknown.status_code, error_code(unknown)) == (404, "unknown_user")
    assert "nobody-here" in unknown.json()["error"]["message"]
    assert api.count(space) == before
    assert _invite(api, ana, space, "ben").status_code == 201
    again = _invite(api, ana, space, "ben")
    assert (again.status_code, error_code(again)) == (409, "already_invited")
    outsider = _invite(api, ben, space, "ana")
    assert (outsider.status_code, error_code(outsider)) == (403, "not_a_member")


def test_a_role_that_may_not_invite_proposes_the_admission(api: ApiClient) -> None:
    """Under the open-source template a plain member may not invite: their invitation
    becomes a membership proposal, and nobody is invited yet."""
    ana, ben, cai = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cai")
    space = api.create_space(ana, template="open_source")
    assert _invite(api, ana, space, "ben").json()["how"] == "invited"
    api.http.post(f"/api/v1/spaces/{space}/invitations/accept", headers=ben.auth)
    proposed = _invite(api, ben, space, "cai")
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["how"] == "proposed"
    proposal = api.http.get(f"/api/v1/spaces/{space}/proposals/{proposed.json()['proposal']}")
    assert proposal.json()["action"] == {"type": "member.admit", "member": cai.did}
    assert cai.did not in _statuses(api, space)


def test_a_join_request_is_answered_by_who_may_admit(api: ApiClient) -> None:
    ana, ben, cai = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cai")
    space = api.create_space(ana, membership="approval")
    asked = api.http.post(f"/api/v1/spaces/{space}/join-requests",
                          json={"message": "I grow tomatoes"}, headers=ben.auth)  # fmt: skip
    assert asked.status_code == 201, asked.text
    twice = api.http.post(f"/api/v1/spaces/{space}/join-requests", json={}, headers=ben.auth)
    assert (twice.status_code, error_code(twice)) == (409, "already_requested")
    mine = api.http.get(f"/api/v1/spaces/{space}/join-requests", headers=ben.auth).json()
    assert mine == {"mine": "requested", "requests": None}
    seen = api.http.get(f"/api/v1/spaces/{space}/join-requests", headers=ana.auth).json()
    assert [(r["username"], r["message"]) for r in seen["requests"]] == [("ben", "I grow tomatoes")]
    stranger = api.http.post(f"/api/v1/spaces/{space}/join-requests/{ben.did}/approve",
                             headers=cai.auth)  # fmt: skip
    assert (stranger.status_code, error_code(stranger)) == (403, "not_allowed_to_approve")
    approved = api.http.post(f"/api/v1/spaces/{space}/join-requests/{ben.did}/approve",
                             headers=ana.auth)  # fmt: skip
    assert approved.json()["decision"] == "admitted"
    assert _statuses(api, space)[ben.did] == "member"
    gone = api.http.post(f"/api/v1/spaces/{space}/join-requests/{ben.did}/decline",
                         headers=ana.auth)  # fmt: skip
    assert (gone.status_code, error_code(gone)) == (404, "no_pending_request")


def test_a_declined_request_may_be_made_again(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="approval")
    api.http.post(f"/api/v1/spaces/{space}/join-requests", json={}, headers=ben.auth)
    declined = api.http.post(f"/api/v1/spaces/{space}/join-requests/{ben.did}/decline",
                             headers=ana.auth)  # fmt: skip
    assert declined.json()["decision"] == "declined"
    mine = api.http.get(f"/api/v1/spaces/{space}/join-requests", headers=ben.auth).json()
    assert mine["mine"] == "declined"
    again = api.http.post(f"/api/v1/spaces/{space}/join-requests", json={}, headers=ben.auth)
    assert again.status_code == 201, again.text


def test_requests_are_refused_where_the_charter_takes_none(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    open_space = api.create_space(ana, membership="open")
    invite_only = api.create_space(ana, name="Closed", membership="invite")
    before = api.count(open_space)
    refused = api.http.post(f"/api/v1/spaces/{open_space}/join-requests", json={}, headers=ben.auth)
    assert (refused.status_code, error_code(refused)) == (409, "requests_not_used")
    assert api.count(open_space) == before
    closed = api.http.post(f"/api/v1/spaces/{invite_only}/join-requests", json={}, headers=ben.auth)
    assert (closed.status_code, error_code(closed)) == (409, "requests_not_used")


def test_an_invite_link_admits_as_many_as_it_allows(api: ApiClient) -> None:
    ana, ben, cai = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cai")
    space = api.create_space(ana, membership="approval")
    made = _link(api, ana, space, uses=1)
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert made.json()["path"] == f"/join/{token}"
    looked = api.http.get(f"/api/v1/invite-links/{token}").json()
    assert (looked["space"], looked["inviter_name"], looked["state"]) == (space, "ana", "live")
    joined = api.http.post(f"/api/v1/invite-links/{token}/join", headers=ben.auth)
    assert joined.status_code == 201, joined.text
    assert _statuses(api, space)[ben.did] == "member"
    used_up = api.http.post(f"/api/v1/invite-links/{token}/join", headers=cai.auth)
    assert (used_up.status_code, error_code(used_up)) == (410, "invite_link_used_up")
    assert cai.did not in _statuses(api, space)
    mine = api.http.get(f"/api/v1/spaces/{space}/invite-links", headers=ana.auth).json()["links"]
    assert [(link["used"], link["state"]) for link in mine] == [(1, "used_up")]


def test_the_log_shows_the_inviter_signing_the_admission(api: ApiClient) -> None:
    """Following a link in an invitation-only space: the inviter's `member.invite`, then the
    newcomer's `member.join` naming it, both accepted by the charter like any others."""
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="invite")
    token = _link(api, ana, space).json()["token"]
    api.http.post(f"/api/v1/invite-links/{token}/join", headers=ben.auth)
    events = api.http.get(f"/api/v1/spaces/{space}/events").json()["events"]
    tail = [(e["type"], e["author"], e["accepted"]) for e in events[-2:]]
    assert tail == [("member.invite", ana.did, True), ("member.join", ben.did, True)]
    assert events[-1]["content"] == {"invite": events[-2]["id"]}


def test_expired_revoked_forged_and_repeated_links_are_refused(api: ApiClient, node: Node) -> None:
    ana, ben, cai = api.sign_up("ana"), api.sign_up("ben"), api.sign_up("cai")
    space = api.create_space(ana, membership="invite")
    expiring = _link(api, ana, space, hours=1, uses=5).json()["token"]
    revoked = _link(api, ana, space, uses=5).json()
    api.http.post(f"/api/v1/invite-links/{revoked['token']}/join", headers=cai.auth)
    again = api.http.post(f"/api/v1/invite-links/{revoked['token']}/join", headers=cai.auth)
    assert (again.status_code, error_code(again)) == (409, "already_a_member")
    withdrawn = api.http.delete(f"/api/v1/spaces/{space}/invite-links/{revoked['id']}",
                                headers=ana.auth)  # fmt: skip
    assert withdrawn.json()["state"] == "revoked"
    not_theirs = api.http.delete(f"/api/v1/spaces/{space}/invite-links/{revoked['id']}",
                                 headers=cai.auth)  # fmt: skip
    assert (not_theirs.status_code, error_code(not_theirs)) == (403, "not_your_link")
    advance(node, HOUR_MS + 1)
    before = api.count(space)
    gone = [(expiring, "invite_link_expired"), (revoked["token"], "invite_link_revoked")]
    for token, code in gone:
        refused = api.http.post(f"/api/v1/invite-links/{token}/join", headers=ben.auth)
        assert (refused.status_code, error_code(refused)) == (410, code)
    forged = api.http.post(f"/api/v1/invite-links/{'x' * 32}/join", headers=ben.auth)
    assert (forged.status_code, error_code(forged)) == (404, "unknown_invite_link")
    assert api.count(space) == before
    assert ben.did not in _statuses(api, space)


def test_links_need_a_right_to_invite_and_a_lifetime_offered(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="invite")
    outsider = _link(api, ben, space)
    assert (outsider.status_code, error_code(outsider)) == (403, "may_not_invite")
    odd = _link(api, ana, space, hours=5)
    assert (odd.status_code, error_code(odd)) == (422, "bad_lifetime")
    many = _link(api, ana, space, uses=1000)
    assert (many.status_code, error_code(many)) == (422, "bad_uses")
    assert api.http.get(f"/api/v1/spaces/{space}/invite-links", headers=ana.auth).json() == {
        "links": []
    }


def test_a_link_into_a_private_space_hands_the_newcomer_its_key(api: ApiClient) -> None:
    ana, ben = api.sign_up("ana"), api.sign_up("ben")
    space = api.create_space(ana, membership="invite", private=True)
    assert api.http.get(f"/api/v1/spaces/{space}", headers=ben.auth).status_code == 404
    token = _link(api, ana, space).json()["token"]
    joined = api.http.post(f"/api/v1/invite-links/{token}/join", headers=ben.auth)
    assert joined.status_code == 201, joined.text
    assert api.post(ben, space, "Hello from inside") is not None
    events = api.http.get(f"/api/v1/spaces/{space}/events", headers=ben.auth).json()["events"]
    assert events[-1]["content"] == {"text": "Hello from inside"}
