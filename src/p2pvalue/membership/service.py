"""Membership as a node's members take part in it: inviting someone by their username,
making and following invite links, asking to join and deciding on requests.

Every step is an ordinary event of the space's log, signed by whoever the charter asks to
sign it: a member who may invite signs `member.invite`, one who may admit signs
`member.admit` or `member.decline`, and where the inviter's role allows neither, a
membership proposal puts the admission to the community. An invite link is a member's
admission made in advance: when someone follows it, this node signs the invitation (or the
admission) with the key of the member who made the link, as they asked when they made it,
and the log shows it as theirs, which every node checks against the charter like any other.
"""

from __future__ import annotations

from typing import Any

from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.errors import Conflict, Forbidden, NotFound, P2PError
from p2pvalue.events.authority import INVITED, MEMBER, REMOVED, REQUESTED, Authority
from p2pvalue.governance.service import Governance
from p2pvalue.membership import links
from p2pvalue.store import invite_links as store
from p2pvalue.store.database import writing
from p2pvalue.store.invite_links import InviteLink
from p2pvalue.wording import N_

# What the log's reasons mean to a member, and the HTTP status each maps to (the two said
# after a username are worded whole for the pages in web.membership.pages).
REFUSALS: dict[str, tuple[int, str]] = {
    "already_a_member": (409, "is already a member of this space"),
    "already_requested": (409, N_("you have already asked to join; your request is waiting")),
    "already_invited": (409, "has already been invited and can join now"),
    "requests_not_used": (
        409,
        N_("this space takes no requests: join it, or ask for an invitation"),
    ),
    "invitation_required": (403, N_("this space is by invitation only")),
    "removed_members_need_invitation": (
        403,
        N_("you were removed; a member must invite you again"),
    ),
    "not_a_member": (403, N_("only members of this space may do this")),
    "role_lacks_permission": (403, N_("your role in this space does not allow this")),
    "no_pending_request": (404, N_("there is no waiting request from this person")),
}
LINK_STATES = {
    links.EXPIRED: N_("This invite link has expired. Ask the person who sent it for a new one."),
    links.USED_UP: N_("This invite link has been used as many times as it allows."),
    links.REVOKED: N_("This invite link was withdrawn by the person who made it."),
}


def refusal(code: str) -> P2PError:
    """The error for a membership step the charter refuses, in a member's words."""
    key = code.split(":", 1)[0]
    status, message = REFUSALS.get(key, (403, key.replace("_", " ")))
    return P2PError(key, message, status)


def may(state: Authority, did: str, right: str) -> bool:
    """Whether the member `did` holds a role that allows `right` (an event type)."""
    return state.is_member(did) and state.charter.allows(state.roles_of(did), right)


def status_of(state: Authority, did: str) -> str | None:
    found = state.members.get(did)
    return found.status if found else None


class Membership:
    """Invitations, invite links and join requests on this node."""

    def __init__(self, wiring: Wiring) -> None:
        self.wiring = wiring

    def authority(self, space: str) -> Authority:
        return self.wiring.service(Governance).authority(space)

    def _act(self, account: Account, space: str, type: str, content: dict[str, Any]) -> str:
        """Take one membership step as `account`, refused before anything is signed when the
        charter in force would reject it; the event's id."""
        governance = self.wiring.service(Governance)
        try:
            governance.precheck(account, space, type, content, self.wiring.clock())
        except P2PError as error:
            raise refusal(error.code) from None
        outcome = self.wiring.act(account, space, type, content)
        if outcome.status != "accepted" or outcome.id is None:
            raise refusal(outcome.code or outcome.message or "not_authorized")
        return outcome.id

    def _propose_admission(self, account: Account, space: str, did: str, name: str) -> str:
        """Put `did`'s admission to the community as a membership proposal; its id."""
        content = {
            "title": f"Admit {name} as a member",
            "body": f"{account.username} proposes that {name} become a member.",
            "action": {"type": "member.admit", "member": did},
        }
        try:
            outcome = self.wiring.service(Governance).propose(account, space, content)
        except P2PError as error:
            raise Forbidden("may_not_invite", "your role may neither invite nor propose "
                            f"to admit members here ({error.message})") from None  # fmt: skip
        if outcome.status != "accepted" or outcome.id is None:
            raise Forbidden("may_not_invite", outcome.message or "the proposal was refused")
        return outcome.id

    def invite(self, account: Account, space: str, username: str) -> dict[str, Any]:
        """Invite the member of this node called `username` as the charter asks: directly
        when the inviter may invite (or admit someone who asked), else by a proposal."""
        target = self.wiring.accounts.by_username(username.strip().lower())
        if target is None:
            raise NotFound("unknown_user", f"no one is called {username.strip()!r} on this node")
        state = self.authority(space)
        if not state.is_member(account.did):
            raise refusal("not_a_member")
        status = status_of(state, target.did)
        if status in (MEMBER, INVITED):
            code = "already_a_member" if status == MEMBER else "already_invited"
            raise Conflict(code, f"{target.username} {REFUSALS[code][1]}")
        shown = {"member": target.did, "username": target.username}
        if may(state, account.did, "member.invite"):
            event = self._act(account, space, "member.invite", {"member": target.did})
            return {**shown, "how": "invited", "event": event}
        if status == REQUESTED and may(state, account.did, "member.admit"):
            event = self._act(account, space, "member.admit", {"member": target.did})
            return {**shown, "how": "admitted", "event": event}
        proposal = self._propose_admission(account, space, target.did, target.username)
        return {**shown, "how": "proposed", "proposal": proposal}

    def accept(self, account: Account, space: str) -> str:
        """Join a space one was invited to; the `member.join` event's id."""
        state = self.authority(space)
        found = state.members.get(account.did)
        if found is None or found.status != INVITED:
            raise NotFound("no_invitation", "you have no invitation to this space")
        return self._act(account, space, "member.join", {"invite": found.since})

    def ask(self, account: Account, space: str, message: str = "") -> str:
        """Ask to join a space whose members admit newcomers; the request's id."""
        return self._act(account, space, "member.request", {"note": message.strip()})

    def requests(self, space: str) -> list[dict[str, Any]]:
        """The requests to join that wait for a decision, oldest first."""
        state = self.authority(space)
        waiting = [(did, m.since) for did, m in state.members.items() if m.status == REQUESTED]
        names = self.wiring.accounts.names([did for did, _ in waiting])
        events = self.wiring.directory.events_by_id([since for _, since in waiting])
        found = []
        for did, since in waiting:
            event = events[since] if since in events else self.wiring.directory.event(since)
            note = (event.content or {}).get("note", "")
            found.append({"member": did, "username": names.get(did), "ts": event.ts,
                          "message": note, "event": since})  # fmt: skip
        return sorted(found, key=lambda request: (request["ts"], request["member"]))

    def decide(self, account: Account, space: str, did: str, approve: bool) -> dict[str, Any]:
        """Admit or decline a waiting request; a member who may not admit directly but may
        propose puts the admission to the community instead."""
        state = self.authority(space)
        if status_of(state, did) != REQUESTED:
            raise refusal("no_pending_request")
        if may(state, account.did, "member.admit"):
            kind = "member.admit" if approve else "member.decline"
            event = self._act(account, space, kind, {"member": did})
            return {"member": did, "decision": "admitted" if approve else "declined",
                    "event": event}  # fmt: skip
        if approve and state.is_member(account.did):
            name = self.wiring.accounts.names([did]).get(did) or did
            proposal = self._propose_admission(account, space, did, name)
            return {"member": did, "decision": "proposed", "proposal": proposal}
        raise Forbidden("not_allowed_to_approve",
                        "your role in this space does not let you decide on requests")  # fmt: skip

    def make_link(self, account: Account, space: str, hours: int, uses: int) -> dict[str, Any]:
        """A new invite link to `space` by `account`, valid `hours` hours for `uses` people;
        its secret `token` is in the answer only, never stored."""
        if hours not in links.LIFETIMES:
            raise P2PError("bad_lifetime", f"a link lasts one of {links.LIFETIMES} hours", 422)
        if uses not in links.USES:
            raise P2PError("bad_uses", f"a link admits one of {links.USES} people", 422)
        state = self.authority(space)
        if not self.may_make_links(state, account.did):
            raise Forbidden("may_not_invite", "your role in this space does not let you invite")
        token = links.new_token()
        hashed = links.token_hash(token)
        now = self.wiring.clock()
        link = InviteLink(links.link_id(hashed), space, account.did, now,
                          now + hours * links.HOUR_MS, uses, 0, None)  # fmt: skip
        with writing(self.wiring.engine) as conn:
            store.add(conn, link, hashed)
        return {"token": token, **self.shown(link)}

    def may_make_links(self, state: Authority, did: str) -> bool:
        """Whether `did` may make invite links: a member in an open space, else one whose
        role may invite or admit."""
        if state.charter.membership == "open":
            return state.is_member(did)
        return may(state, did, "member.invite") or may(state, did, "member.admit")

    def shown(self, link: InviteLink) -> dict[str, Any]:
        return {**link.as_dict(), "state": links.state_of(link, self.wiring.clock())}

    def links_of(self, account: Account, space: str) -> list[dict[str, Any]]:
        """The invite links `account` made to `space`, newest first."""
        with self.wiring.engine.begin() as conn:
            made = store.of_space(conn, space)
        return [self.shown(link) for link in made if link.inviter == account.did]

    def revoke_link(self, account: Account, space: str, link_id: str) -> dict[str, Any]:
        with writing(self.wiring.engine) as conn:
            link = store.by_id(conn, link_id)
            if link is None or link.space != space:
                raise NotFound("unknown_invite_link", "no such invite link in this space")
            if link.inviter != account.did:
                raise Forbidden("not_your_link", "only the member who made a link withdraws it")
            store.revoke(conn, link_id, self.wiring.clock())
            revoked = store.by_id(conn, link_id)
        assert revoked is not None
        return self.shown(revoked)

    def link(self, token: str) -> InviteLink:
        """The link whose secret is `token`; NotFound for a token this node never made."""
        with self.wiring.engine.begin() as conn:
            found = store.by_hash(conn, links.token_hash(token))
        if found is None:
            raise NotFound("unknown_invite_link", "This invite link is not one this node "
                           "made. Check that it was copied whole.")  # fmt: skip
        return found

    def check_live(self, link: InviteLink) -> None:
        """Refuse (410) a link that expired, was used up or was withdrawn."""
        state = links.state_of(link, self.wiring.clock())
        if state != links.LIVE:
            raise P2PError(f"invite_link_{state}", LINK_STATES[state], 410)

    def follow(self, account: Account, token: str) -> dict[str, Any]:
        """Join the space of a live link as `account`, spending one of its uses (given back
        if the join does not happen)."""
        link = self.link(token)
        self.check_live(link)
        state = self.authority(link.space)
        status = status_of(state, account.did)
        if status == MEMBER:
            raise Conflict("already_a_member", "you are already a member of this space")
        if status == REMOVED:
            raise refusal("removed_members_need_invitation")
        inviter = self.wiring.accounts.by_did(link.inviter)
        if inviter is None:
            raise P2PError("inviter_gone", "the member who made this link has left this node", 410)
        with writing(self.wiring.engine) as conn:
            spent = store.spend(conn, link.id, self.wiring.clock())
        if not spent:  # another person took the last use, or time ran out, just now
            self.check_live(self.link(token))
            raise P2PError(f"invite_link_{links.USED_UP}", LINK_STATES[links.USED_UP], 410)
        try:
            event = self._admit_by_link(inviter, account, link.space, state)
        except P2PError:
            with writing(self.wiring.engine) as conn:
                store.give_back(conn, link.id)
            raise
        return {"space": link.space, "member": account.did, "event": event}

    def _admit_by_link(
        self, inviter: Account, joiner: Account, space: str, state: Authority
    ) -> str:
        """The steps the charter asks for: a join in an open space; else the inviter's
        invitation and the joiner's join; else the joiner's request and the inviter's
        admission."""
        status = status_of(state, joiner.did)
        if status == INVITED:
            return self.accept(joiner, space)
        if state.charter.membership == "open":
            return self._act(joiner, space, "member.join", {})
        if may(state, inviter.did, "member.invite"):
            invite = self._act(inviter, space, "member.invite", {"member": joiner.did})
            return self._act(joiner, space, "member.join", {"invite": invite})
        if may(state, inviter.did, "member.admit"):
            if status != REQUESTED:
                self._act(joiner, space, "member.request", {"note": "followed an invite link"})
            return self._act(inviter, space, "member.admit", {"member": joiner.did})
        raise Forbidden("inviter_may_not_invite",
                        "the member who made this link may no longer invite people")  # fmt: skip
