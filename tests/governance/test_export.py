"""PrefLib and BLT export of ranked ballots (governance/export.py).

The files are read back by our own parsers and by pref_voting's PrefLib reader (which uses
preflibtools, PrefLib's own library), and the election read back is counted again: the
Tennessee capital election (42 M>N>C>K, 26 N>C>K>M, 15 C>K>N>M, 17 K>C>N>M; Schulze winner
Nashville) and Wikipedia's STV food election (20 voters, 3 seats: Chocolate, Oranges,
Strawberries).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pref_voting.io.readers import preflib_to_profile
from pref_voting.voting_methods import beat_path

from p2pvalue.governance.export import (
    RankedElection,
    merged_ballots,
    read_blt,
    read_preflib,
    to_blt,
    to_preflib,
)
from p2pvalue.governance.methods import tally
from p2pvalue.governance.methods.base import Cast, Option, Rules

CITIES = [Option("m", "Memphis"), Option("n", "Nashville"), Option("c", "Chattanooga"),
          Option("k", "Knoxville")]  # fmt: skip
TENNESSEE = [(42, "mnck"), (26, "nckm"), (15, "cknm"), (17, "kcnm")]
FOODS = [Option(food) for food in ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")]
FOOD_ELECTION = [
    (4, ["Oranges"]), (2, ["Pears", "Oranges"]), (8, ["Chocolate", "Strawberries"]),
    (4, ["Chocolate", "Sweets"]), (1, ["Strawberries"]), (1, ["Sweets"]),
]  # fmt: skip


def casts(ballots: Sequence[tuple[int, Sequence[str]]]) -> list[Cast]:
    return [Cast(f"voter{n}", w, {"ranking": list(r)}) for n, (w, r) in enumerate(ballots)]


def back_to_casts(election: RankedElection, options: Sequence[Option]) -> list[Cast]:
    """The ballots of a file read back, as Casts over `options` (candidates by position)."""
    return casts([(count, [options[c].id for c in ranking]) for ranking, count in election.ballots])


TENNESSEE_PREFLIB = """\
# FILE NAME: tennessee-capital.soc
# TITLE: Tennessee capital
# DESCRIPTION:
# DATA TYPE: soc
# MODIFICATION TYPE: original
# RELATES TO:
# RELATED FILES:
# PUBLICATION DATE:
# MODIFICATION DATE:
# NUMBER ALTERNATIVES: 4
# NUMBER VOTERS: 100
# NUMBER UNIQUE ORDERS: 4
# ALTERNATIVE NAME 1: Memphis
# ALTERNATIVE NAME 2: Nashville
# ALTERNATIVE NAME 3: Chattanooga
# ALTERNATIVE NAME 4: Knoxville
42: 1,2,3,4
26: 2,3,4,1
17: 4,3,2,1
15: 3,4,2,1
"""


def test_preflib_complete_orders_are_soc() -> None:
    assert to_preflib("Tennessee capital", CITIES, casts(TENNESSEE)) == TENNESSEE_PREFLIB


def test_preflib_partial_orders_are_soi_most_frequent_first() -> None:
    text = to_preflib("Food", FOODS, casts(FOOD_ELECTION))
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert "# FILE NAME: food.soi" in header and "# DATA TYPE: soi" in header
    assert "# NUMBER VOTERS: 20" in header and "# NUMBER UNIQUE ORDERS: 6" in header
    orders = [line for line in text.splitlines() if not line.startswith("#")]
    assert orders == ["8: 3,4", "4: 1", "4: 3,5", "2: 2,1", "1: 4", "1: 5"]


def test_preflib_round_trip() -> None:
    election = read_preflib(to_preflib("Tennessee capital", CITIES, casts(TENNESSEE)))
    assert election.title == "Tennessee capital"
    assert election.candidates == ("Memphis", "Nashville", "Chattanooga", "Knoxville")
    assert election.ballots == (
        ((0, 1, 2, 3), 42), ((1, 2, 3, 0), 26), ((3, 2, 1, 0), 17), ((2, 3, 1, 0), 15),
    )  # fmt: skip
    assert election.seats is None
    again = tally(Rules("schulze"), CITIES, back_to_casts(election, CITIES), 100)
    assert again.winners[0] == "n"


def test_pref_voting_reads_our_soc_file(tmp_path: Path) -> None:
    path = tmp_path / "tennessee.soc"
    path.write_text(to_preflib("Tennessee capital", CITIES, casts(TENNESSEE)))
    profile = preflib_to_profile(str(path), as_linear_profile=True)
    rankings, counts = profile.rankings_counts
    assert sorted(zip(map(tuple, rankings.tolist()), counts.tolist(), strict=True)) == [
        ((0, 1, 2, 3), 42), ((1, 2, 3, 0), 26), ((2, 3, 1, 0), 15), ((3, 2, 1, 0), 17),
    ]  # fmt: skip
    assert beat_path(profile) == [1]  # Nashville, as we count it


def test_pref_voting_reads_our_soi_file(tmp_path: Path) -> None:
    path = tmp_path / "food.soi"
    path.write_text(to_preflib("Food", FOODS, casts(FOOD_ELECTION)))
    profile = preflib_to_profile(str(path))
    assert profile.candidates == [1, 2, 3, 4, 5]  # PrefLib's numbers
    rankings, counts = profile.rankings_counts
    assert [(ranking.rmap, count) for ranking, count in zip(rankings, counts, strict=True)] == [
        ({3: 1, 4: 2}, 8), ({1: 1}, 4), ({3: 1, 5: 2}, 4), ({2: 1, 1: 2}, 2), ({4: 1}, 1),
        ({5: 1}, 1),
    ]  # fmt: skip


FOOD_BLT = """\
5 3
8 3 4 0
4 1 0
4 3 5 0
2 2 1 0
1 4 0
1 5 0
0
"Oranges"
"Pears"
"Chocolate"
"Strawberries"
"Sweets"
"Food election"
"""


def test_blt_of_the_food_election() -> None:
    assert to_blt("Food election", FOODS, casts(FOOD_ELECTION), 3) == FOOD_BLT


def test_blt_round_trip_counts_the_same() -> None:
    election = read_blt(to_blt("Food election", FOODS, casts(FOOD_ELECTION), 3))
    assert election.title == "Food election" and election.seats == 3
    assert election.candidates == ("Oranges", "Pears", "Chocolate", "Strawberries", "Sweets")
    assert election.ballots == tuple(merged_ballots(FOODS, casts(FOOD_ELECTION)))
    again = tally(Rules("stv", seats=election.seats), FOODS, back_to_casts(election, FOODS), 20)
    assert again.winners == ("Chocolate", "Oranges", "Strawberries")


def test_read_blt_skips_withdrawn_candidates_line() -> None:
    text = '4 2\n-4\n3 1 2 0\n4 1 3 0\n2 3 0\n0\n"Adam"\n"Basil"\n"Charlotte"\n"Donald"\n"Test"\n'
    assert read_blt(text) == RankedElection(
        "Test", ("Adam", "Basil", "Charlotte", "Donald"),
        (((0, 1), 3), ((0, 2), 4), ((2,), 2)), 2,
    )  # fmt: skip


def test_names_labels_and_what_is_left_out() -> None:
    options = [Option("a", 'The "A" team\nof two'), Option("b")]
    ballots = casts([(2, ["b"]), (3, []), (0, ["a"]), (1, ["a", "b"])])
    blt = to_blt("Vote", options, ballots, 1).splitlines()
    assert blt == ["2 1", "2 2 0", "1 1 2 0", "0", "\"The 'A' team of two\"", '"b"', '"Vote"']
    preflib = to_preflib("Vote", options, ballots).splitlines()
    assert '# ALTERNATIVE NAME 1: The "A" team of two' in preflib
    assert "# NUMBER VOTERS: 3" in preflib and "# DATA TYPE: soi" in preflib
