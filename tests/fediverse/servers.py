"""A Mastodon-like server for the fediverse tests (served by `serving`), whose user follows
groups and whose inboxes check every signature with the independent `cavage` module."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from fediverse import cavage

AS = "https://www.w3.org/ns/activitystreams"
ACTIVITY_JSON = "application/activity+json"


@dataclass
class Received:
    """A request a fake inbox took: where, the activity, and why its signature failed
    under the independent verifier (None: it verified)."""

    path: str
    activity: dict[str, Any]
    problem: str | None


@dataclass
class Mastodon:
    """A Mastodon-like server: users `alice` and `mallory`, each an actor with an RSA key,
    personal inboxes and a shared inbox that record what they receive, verified."""

    url: str
    keys: dict[str, rsa.RSAPrivateKey] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    fetches: list[tuple[str, str | None]] = field(default_factory=list)  # (path, problem)
    answers: list[int] = field(default_factory=list)  # statuses the inboxes answer first

    def actor(self, name: str) -> str:
        return f"{self.url}/users/{name}"

    def key_id(self, name: str) -> str:
        return f"{self.actor(name)}#main-key"

    def document(self, name: str) -> dict[str, Any]:
        actor = self.actor(name)
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": name,
            "name": name.title(), "url": f"{self.url}/@{name}",
            "inbox": f"{actor}/inbox", "outbox": f"{actor}/outbox",
            "endpoints": {"sharedInbox": f"{self.url}/inbox"},
            "publicKey": {"id": self.key_id(name), "owner": actor,
                          "publicKeyPem": cavage.pem_of(self.keys[name])},
        }  # fmt: skip

    def post(self, name: str, url: str, activity: dict[str, Any], **options: Any) -> httpx.Response:
        """`activity` POSTed to `url`, signed by `name` (cavage `options` as `sign_request`)."""
        body = orjson.dumps(activity)
        headers = cavage.sign_request(self.keys[name], self.key_id(name), "POST", url, body,
                                      **options)  # fmt: skip
        headers["Content-Type"] = ACTIVITY_JSON
        return httpx.post(url, content=body, headers=headers, timeout=30)

    def wait_for(self, found: Callable[[Received], bool], seconds: float = 20) -> Received:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            match = next((r for r in list(self.received) if found(r)), None)
            if match is not None:
                return match
            time.sleep(0.05)
        raise AssertionError(f"nothing matching arrived; received {self.received}")

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/users/{name}")
        async def user(name: str, request: Request) -> JSONResponse:
            if name not in self.keys:
                return JSONResponse({"error": "gone"}, status_code=404)
            problem = await self._check(request, b"", cavage.REQUIRED_GET)
            self.fetches.append((request.url.path, problem))
            return JSONResponse(self.document(name), media_type=ACTIVITY_JSON)

        @app.post("/inbox")
        @app.post("/users/{name}/inbox")
        async def inbox(request: Request) -> JSONResponse:
            body = await request.body()
            problem = await self._check(request, body, cavage.REQUIRED_POST)
            self.received.append(Received(request.url.path, await request.json(), problem))
            status = self.answers.pop(0) if self.answers else 202
            return JSONResponse({}, status_code=status)

        return app

    async def _check(self, request: Request, body: bytes, required: tuple[str, ...]) -> str | None:
        """Why the request's signature fails, fetching the signer's key as Mastodon does."""
        signature = request.headers.get("signature")
        if signature is None:
            return "unsigned"
        key_id = dict(re.findall(r'(\w+)="([^"]*)"', signature)).get("keyId", "")
        try:
            async with httpx.AsyncClient(timeout=10) as http:
                response = await http.get(key_id.split("#")[0], headers={"Accept": ACTIVITY_JSON})
        except httpx.HTTPError as error:
            return f"the key cannot be fetched: {error!r}"
        keys = response.json().get("publicKey", {})
        if keys.get("id") != key_id:
            return f"no key {key_id}"
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return cavage.check_signature(
            request.method, target, request.headers, body if body else None,
            keys["publicKeyPem"], required,
        )  # fmt: skip
