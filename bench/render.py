"""Rendering members' Markdown: the slowest first render of pathological texts (runs of
"[", "*", ">", "<", backticks, unclosed links and images, each at the post limit of 20,000
characters and at the largest size still parsed as Markdown), against a normal post of
about 2 KB measured in the same run, and a cached render.

Each figure is the median of `--rounds` first renders (the cache emptied before each).
The limit the node holds itself to is 50 ms for any text.

Prints one JSON line: {"worst_ms", "worst_input", "baseline_ms", "cached_ms", "inputs"}.
"""

from __future__ import annotations

import argparse
import statistics
import time

import orjson

from p2pvalue.collab import markdown

POST_LIMIT = 20_000
UNITS = ("[", "*", ">", "<", "`", "_", "![", "[a](", "*a", "_a", "<a ", "> ", "- ", "|", "~~a")
NORMAL = (
    "## Release notes\n\nThanks to *everyone* who helped with **this release**: "
    "[the changelog](https://example.org/changes) lists it all, and `make test` passes.\n\n"
    "- faster sync\n- fewer bugs\n- a [new guide](https://example.org/guide)\n\n"
    "> Ship it when it is ready.\n\n"
) * 6


def pathological() -> dict[str, str]:
    """Texts that make a Markdown parser work hard, each named by how it was made."""
    texts: dict[str, str] = {}
    for unit in UNITS:
        texts[f"{unit!r} * post limit"] = unit * (POST_LIMIT // len(unit))
        marks = max(1, len(markdown.MARKS.findall(unit)))
        brackets = len(markdown.BRACKETS.findall(unit))
        count = min(markdown.MAX_MARKDOWN // len(unit), markdown.MAX_MARKS // marks,
                    markdown.MAX_BRACKETS // brackets if brackets else POST_LIMIT)  # fmt: skip
        texts[f"{unit!r} * largest parsed"] = unit * count
        lines = markdown.MAX_LINES - 1
        texts[f"{unit!r} lines"] = (unit * max(1, count // lines) + "\n") * lines
    texts["nested quotes"] = "\n".join(">" * depth + " a" for depth in range(1, 200))
    return texts


def first_render(text: str, rounds: int) -> float:
    """The median milliseconds of rendering `text` with an empty cache."""
    times = []
    for _ in range(rounds):
        markdown.forget_rendered()
        start = time.perf_counter()
        markdown.render(text)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    figures = {name: first_render(text, rounds) for name, text in pathological().items()}
    worst = max(figures, key=figures.__getitem__)
    markdown.render(NORMAL)
    start = time.perf_counter()
    markdown.render(NORMAL)
    cached = (time.perf_counter() - start) * 1000
    result = {
        "worst_ms": round(figures[worst], 2), "worst_input": worst,
        "baseline_ms": round(first_render(NORMAL, rounds), 2), "cached_ms": round(cached, 4),
        "inputs": len(figures),
    }  # fmt: skip
    print(orjson.dumps(result).decode())


if __name__ == "__main__":
    main()
