"""What makes a password acceptable here: long enough, and not one everybody tries first.

The list of common passwords ships with the package (data/common-passwords.txt, from
zxcvbn's frequency list): checking never needs the network.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from p2pvalue.errors import P2PError
from p2pvalue.wording import N_, Wording, english

MIN_PASSWORD = 10
MAX_PASSWORD = 1024


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased."""
    text = files("p2pvalue").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line)


def password_problem(password: str, username: str = "", wording: Wording = english) -> str | None:
    """Why `password` may not be used, worded by `wording` (a page's language, or English
    for the API), or None if it may."""
    if len(password) < MIN_PASSWORD:
        return wording(N_("Use at least %(most)s characters."), most=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return wording(N_("Use at most %(most)s characters."), most=MAX_PASSWORD)
    folded = password.lower()
    if folded in common_passwords() or len(set(folded)) < 3:
        return wording(N_("This password is one of the most common ones; attackers try those "
                          "first."))  # fmt: skip
    if username and folded == username.lower():
        return wording(N_("Your password cannot be your username."))
    return None


def check_password_policy(password: str, username: str = "") -> None:
    """Raise `weak_password` (422) with the reason if `password` may not be used."""
    problem = password_problem(password, username)
    if problem is not None:
        raise P2PError("weak_password", problem, 422)
