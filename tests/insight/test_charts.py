"""The network chart of a large community: it draws the most linked members and the links
over the most shared work between them, says so, and its table keeps everyone. A space's
charts are drawn once while its log and its members' names stay the same."""

from __future__ import annotations

import numpy as np

from p2pvalue.insight import charts
from p2pvalue.insight.network import Network, Touch, network
from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.web.insight.views import space_charts


def test_a_large_network_is_drawn_by_its_most_linked_members_and_strongest_links() -> None:
    # 400 people on 40 tasks of 10 each; people 0..9 also share a hub with everyone.
    touches = [Touch(f"p{i:03}", f"task:{i // 10}", f"e{i}") for i in range(400)]
    touches += [Touch(f"p{i:03}", "doc:hub", f"h{i}") for i in range(400)]
    touches += [Touch(f"p{i:03}", f"doc:extra{k}", f"x{i}{k}") for i in range(10)
                for k in range(5)]  # fmt: skip
    found = network(touches)
    drawn, (first, second) = charts._drawn(found)
    assert len(drawn) == charts.MAX_DRAWN and len(first) == charts.MAX_LINES
    degree = np.bincount(np.concatenate((found.first, found.second)), minlength=400)
    assert {found.people.index(d) for d in drawn} == set(
        sorted(range(400), key=lambda i: (-int(degree[i]), found.people[i]))[: charts.MAX_DRAWN]
    )
    # The links drawn are the heaviest among those drawn: people 0..9 share 7 artefacts.
    weights = {(found.people[a], found.people[b]): w for a, b, w in found.edges}
    heaviest = sorted((weights[drawn[a], drawn[b]] for a, b in zip(first, second, strict=True)),
                      reverse=True)  # fmt: skip
    assert heaviest[:45] == [7] * 45 and min(heaviest) >= 1
    places = {person: "periphery" for person in found.people}
    chart = charts.network_chart(found, places, lambda did: did)
    assert chart.svg.count("<line") <= charts.MAX_LINES + 20  # and a few of the legend's
    assert "The picture shows the 150 members with the most links and the 600 links" in (
        chart.sentence
    )
    assert len(chart.rows) == 400  # the table and the download keep every member


def test_a_small_network_is_drawn_whole() -> None:
    found = network([Touch(m, "task:1", "e") for m in "abc"])
    drawn, (first, _) = charts._drawn(found)
    assert drawn == ["a", "b", "c"] and len(first) == 3
    chart = charts.network_chart(found, dict.fromkeys("abc", "core"), str.upper)
    assert "The picture shows" not in chart.sentence
    assert chart.sentence.startswith("3 members, 3 working links; 3 in the core: A, B, C.")
    assert isinstance(found, Network)


def test_a_space_s_charts_are_drawn_once_while_its_log_and_names_stay(node: Node) -> None:
    alice = node.accounts.register("alice", "correct horse")
    space = node.create_space(alice, "Commons").id
    assert space is not None
    node.act(alice, space, "task.create", {"title": "Write the parser"})
    drawn = space_charts(node, space, "month")
    assert space_charts(node, space, "month") is drawn
    assert space_charts(node, space, "week") is not drawn
    assert "alice" in drawn["network"].sentence + str(drawn["network"].rows)
    node.service(Social).profiles.replace(
        alice, alice.did, {"display_name": {"value": "Alice Liddell", "visibility": "public"}}
    )
    renamed = space_charts(node, space, "month")
    assert renamed is not drawn and "Alice Liddell" in str(renamed["network"].rows)
    node.act(alice, space, "task.create", {"title": "Test the parser"})
    assert space_charts(node, space, "month") is not renamed
