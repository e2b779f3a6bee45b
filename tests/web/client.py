"""A thin API client for the tests: members with bearer tokens, spaces, the event log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from p2pvalue.events.canonical import unb64u
from p2pvalue.events.keys import KeyPair

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Member:
    """A signed-up account and its bearer token."""

    username: str
    did: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class ApiClient:
    """Calls /api/v1 the way an outside client would, and answers in plain JSON values."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.submitter: Member | None = None

    def sign_up(self, username: str, password: str = PASSWORD) -> Member:
        created = self.http.post("/api/v1/accounts", json=_credentials(username, password))
        assert created.status_code == 201, created.text
        session = self.http.post("/api/v1/sessions", json=_credentials(username, password))
        assert session.status_code == 201, session.text
        member = Member(username, created.json()["did"], session.json()["token"])
        self.submitter = self.submitter or member
        return member

    def key_of(self, member: Member, password: str = PASSWORD) -> KeyPair:
        """The member's own signing key, exported through the API."""
        exported = self.http.post(
            "/api/v1/accounts/me/key", json={"password": password}, headers=member.auth
        )
        assert exported.status_code == 200, exported.text
        return KeyPair(unb64u(exported.json()["seed"]))

    def create_space(self, founder: Member, name: str = "Commons", **fields: Any) -> str:
        created = self.http.post(
            "/api/v1/spaces", json={"name": name, **fields}, headers=founder.auth
        )
        assert created.status_code == 201, created.text
        space: str = created.json()["id"]
        return space

    def act(
        self, member: Member, space: str, type: str, content: dict[str, Any] | None = None
    ) -> httpx.Response:
        response: httpx.Response = self.http.post(
            f"/api/v1/spaces/{space}/actions",
            json={"type": type, "content": content or {}},
            headers=member.auth,
        )
        return response

    def post(self, member: Member, space: str, text: str) -> str:
        posted = self.act(member, space, "post.create", {"text": text})
        assert posted.status_code == 201, posted.text
        event_id: str = posted.json()["id"]
        return event_id

    def count(self, space: str) -> int:
        """How many events the space's log holds, accepted or rejected."""
        summary = self.http.get(f"/api/v1/spaces/{space}")
        assert summary.status_code == 200, summary.text
        events: int = summary.json()["events"]
        return events

    def log(self, space: str) -> list[dict[str, Any]]:
        """The space's whole log in order (one page is enough for these tests)."""
        page = self.http.get(f"/api/v1/spaces/{space}/events", params={"limit": 500})
        assert page.status_code == 200, page.text
        events: list[dict[str, Any]] = page.json()["events"]
        return events

    def tips(self, space: str) -> tuple[list[str], int]:
        """The ids no event names as prev, and the depth of a new event on top of them."""
        log = self.log(space)
        named = {p for e in log for p in e["event"]["prev"]}
        tips = [e for e in log if e["id"] not in named]
        return [e["id"] for e in tips], 1 + max(e["event"]["depth"] for e in tips)

    def submit(self, payload: Any, as_member: Member | None = None) -> httpx.Response:
        """POST /events with the bearer token of `as_member` (default: the first to sign up)."""
        member = as_member or self.submitter
        headers = member.auth if member else {}
        response: httpx.Response = self.http.post("/api/v1/events", json=payload, headers=headers)
        return response


def error_code(response: httpx.Response) -> str:
    code: str = response.json()["error"]["code"]
    return code


def _credentials(username: str, password: str) -> dict[str, str]:
    return {"username": username, "password": password}
