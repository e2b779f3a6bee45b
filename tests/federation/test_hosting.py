"""Which nodes a space's homes name as hosts: a node whose members all left or were
removed is a former host, unless a member or invitee still lives there (by key or URL)."""

from __future__ import annotations

from p2pvalue.federation.replication import Home, hosting


def test_a_node_that_hosts_no_member_any_more_is_a_former_host() -> None:
    homes = {
        "ana": Home("north", "https://north.example"),
        "ben": Home("east", "https://east.example"),
        "cyd": Home("west", "https://west.example"),
        "dan": Home("west", "https://west.example"),
    }
    found = hosting(homes, lambda did: did in ("ana", "dan"))
    assert found.urls == {"https://north.example", "https://west.example"}
    assert found.nodes == {"north", "west"}
    assert found.former_nodes == {"east"} and found.former_urls == {"https://east.example"}


def test_a_node_known_under_a_new_url_still_hosts() -> None:
    homes = {"ben": Home("east", "https://old.example"), "eve": Home("east", "https://new.example")}
    found = hosting(homes, lambda did: did == "eve")
    assert found.former_nodes == set() and found.former_urls == set()
