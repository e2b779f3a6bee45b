"""The pure parts of membership: an invite link's state at a time, and declining a request
(a kernel rule: whoever may admit may decline, only a waiting request, and the person may
ask again)."""

from __future__ import annotations

from p2pvalue.events.authority import (
    DECLINED,
    MEMBER,
    REQUESTED,
    Action,
    Authority,
    Membership,
    Rules,
    apply,
    authorize,
    founding,
)
from p2pvalue.governance.templates import default_charter
from p2pvalue.membership import links
from p2pvalue.store.invite_links import InviteLink

ANN = "did:key:z6MkAnn"
BEN = "did:key:z6MkBen"
CAT = "did:key:z6MkCat"
RULES = Rules()


def _link(used: int = 0, revoked_at: int | None = None) -> InviteLink:
    return InviteLink("0" * 16, "s", ANN, 0, 1000, 2, used, revoked_at)


def test_a_link_is_live_until_it_expires_is_used_up_or_revoked() -> None:
    assert links.state_of(_link(), 999) == links.LIVE
    assert links.state_of(_link(), 1000) == links.EXPIRED
    assert links.state_of(_link(used=2), 10) == links.USED_UP
    assert links.state_of(_link(used=2, revoked_at=5), 2000) == links.REVOKED


def test_a_token_is_kept_only_as_its_hash() -> None:
    token = links.new_token()
    assert len(token) == 32 and token != links.new_token()
    hashed = links.token_hash(token)
    assert token not in hashed and links.link_id(hashed) == hashed[:16]
    assert links.lifetime_words(1) == "1 hour" and links.lifetime_words(168) == "7 days"


def _space() -> Authority:
    create = Action("s", "space.create", ANN,
                    {"name": "S", "charter": default_charter("approval")})  # fmt: skip
    state = founding("s", create)
    members = {**state.members, BEN: Membership(MEMBER, frozenset({"member"}), "j"),
               CAT: Membership(REQUESTED, frozenset(), "r")}  # fmt: skip
    return Authority(state.space, state.name, state.creator, state.charter, members)


def test_only_who_may_admit_declines_and_only_a_waiting_request() -> None:
    state = _space()
    by_ben = Action("d1", "member.decline", BEN, {"member": CAT})
    assert authorize(by_ben, state, RULES) == "role_lacks_permission:member.admit"
    by_ann = Action("d2", "member.decline", ANN, {"member": CAT})
    assert authorize(by_ann, state, RULES) is None
    after = apply(state, by_ann, RULES)
    assert after.members[CAT].status == DECLINED
    assert authorize(by_ann, after, RULES) == "no_pending_request"
    again = Action("r2", "member.request", CAT, {"note": ""})
    assert authorize(again, after, RULES) is None
