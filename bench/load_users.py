"""The members `bench/load.py` sends against a node, for locust: 80 % reads (the space's
page, the member's feed, the space's claims), 20 % writes (a post, a claim, a ballot).

Started by `bench/load.py` (`locust -f bench/load_users.py`), which names in the
environment the community it seeded (LOAD_COMMUNITY, a JSON file) and how many requests a
second each member makes (LOAD_RATE; 0: as fast as answers come)."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path
from typing import Any

from locust import HttpUser, constant, constant_throughput, task

COMMUNITY: dict[str, Any] = json.loads(Path(os.environ["LOAD_COMMUNITY"]).read_text())
RATE = float(os.environ.get("LOAD_RATE", "0"))
TOKENS = itertools.cycle(COMMUNITY["tokens"])
CLAIM = {"kind": "docs", "description": "an answer in the FAQ", "quantity": 1, "unit": "hours"}


class Member(HttpUser):
    wait_time = constant_throughput(RATE) if RATE else constant(0)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer {next(TOKENS)}"}
        self.space = COMMUNITY["space"]

    @task(30)
    def space_page(self) -> None:
        self.client.get(f"/spaces/{self.space}", headers=self.auth, name="page")

    @task(30)
    def feed(self) -> None:
        self.client.get("/api/v1/me/feed?limit=20", headers=self.auth, name="feed")

    @task(20)
    def claims(self) -> None:
        self.client.get(f"/api/v1/spaces/{self.space}/claims?limit=20", headers=self.auth,
                        name="claims")  # fmt: skip

    @task(8)
    def post(self) -> None:
        self._act("post", "post.create", {"text": "a note on the work"})

    @task(7)
    def claim(self) -> None:
        self._act("claim", "contribution.claim", CLAIM)

    @task(5)
    def ballot(self) -> None:
        ballot = {"proposal": COMMUNITY["proposal"], "ballot": {"choice": "yes"}}
        self._act("ballot", "vote.cast", ballot)

    def _act(self, name: str, type: str, content: dict[str, Any]) -> None:
        action = {"type": type, "content": content}
        path = f"/api/v1/spaces/{self.space}/actions"
        with self.client.post(
            path, json=action, headers=self.auth, name=name, catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
