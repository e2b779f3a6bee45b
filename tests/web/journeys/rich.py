"""A rich community for the journeys that look at every kind of page: the demo's, with
something on every page a member may reach."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect

from p2pvalue.accounts import Account
from p2pvalue.demo import DEMO_PASSWORD, seed
from p2pvalue.governance.service import Governance
from p2pvalue.membership.service import Membership
from p2pvalue.node import Node
from p2pvalue.social import Social


@dataclass(frozen=True)
class Community:
    space: str
    private: str
    people: dict[str, Account]


def build(node: Node) -> Community:
    """The demo community, plus a page of every kind with something on it: a private space,
    a proposal in each state, projects, tasks, a thread, a document, messages,
    notifications, a join request and an invite link."""
    space = seed(node)
    people = {name: node.accounts.by_username(name) for name in ("alice", "bob", "carol", "dan")}
    alice, bob, carol, dan = (p for p in people.values() if p is not None)
    frank = node.accounts.register("frank", DEMO_PASSWORD)
    governance = node.service(Governance)
    text = {"type": "text"}
    draft = {"title": "Paint the pump housing green", "action": text, "draft": True}
    governance.propose(alice, space, draft)
    withdrawn = governance.propose(bob, space, {"title": "Move to a wiki", "action": text})
    node.act(bob, space, "proposal.withdraw", {"proposal": withdrawn.id})
    open_one = {"title": "Adopt a code of conduct", "body": "The Contributor Covenant, v2.1.",
                "action": text}  # fmt: skip
    governance.propose(carol, space, open_one)
    project = node.act(
        alice, space, "project.create", {"name": "Pump v4", "description": "The next pump."}
    ).id
    task = node.act(alice, space, "task.create", {"title": "Order bearings",
                                                  "project": project}).id  # fmt: skip
    node.act(bob, space, "task.claim", {"task": task})
    node.act(alice, space, "task.create", {"title": "Test the 24 V motor"})
    node.act(alice, space, "doc.create", {"title": "Assembly notes", "project": project})
    thread = {"on": {"kind": "space"}, "title": "Bearings supplier",
              "text": "@alice which supplier did we use for v3?"}  # fmt: skip
    started = node.act(bob, space, "thread.create", thread).id
    node.act(alice, space, "thread.reply", {"thread": started, "text": "The one in Porto."})
    node.act(frank, space, "member.request", {"note": "I weld frames."})
    node.service(Membership).make_link(alice, space, 24, 5)
    private = node.create_space(alice, "Board room", membership="invite", private=True).id
    assert private is not None
    node.act(alice, private, "post.create", {"text": "Budget for next year."})
    talk = node.service(Social).conversations
    talk.write(bob, alice.did, "Can you review the impeller drawings?")
    talk.write(alice, bob.did, "Yes, tonight.")
    talk.write(dan, alice.did, "Hello from Kenya!")
    return Community(space, private, {"alice": alice, "bob": bob, "carol": carol, "dan": dan})


def log_in(page: Page, site: str, username: str) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#whoami")).to_have_text(username)
