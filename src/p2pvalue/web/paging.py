"""Long lists on pages, a page at a time: `?page=N`, 1 being the first.

A page number is read strictly, since a link that names no page should say so rather than
show something else: one that is not a whole number from 1 is answered 400, one past the
end of the list 404, each on a page of its own with a link to the list's first page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from p2pvalue.web import layout
from p2pvalue.web.auth import optional_account

PAGE_SIZE = 50
MOST_DIGITS = 9  # a page number longer than this is no page of any list here

T = TypeVar("T")


class NoPage(Exception):
    """The page asked for is not one: `status` 400 for a number that is not a page number,
    404 for one past the end; `first` links to the list's first page."""

    def __init__(self, status: int, asked: str, first: str, pages: int = 0) -> None:
        super().__init__(f"no page {asked!r}")
        self.status, self.asked, self.first, self.pages = status, asked, first, pages


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a list: its `items`, which page it is, and links to the pages beside it
    that keep the rest of the address's query (filters)."""

    items: Sequence[T]
    number: int
    pages: int
    total: int
    start: int
    path: str
    kept: tuple[tuple[str, str], ...]
    param: str = "page"
    anchor: str = ""  # the id of the list on the page, so a page link opens at it

    def link(self, number: int) -> str:
        query = [*self.kept, *([(self.param, str(number))] if number > 1 else [])]
        where = f"{self.path}?{urlencode(query)}" if query else self.path
        return f"{where}#{self.anchor}" if self.anchor else where

    @property
    def previous(self) -> str | None:
        return self.link(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.number + 1) if self.number < self.pages else None

    @property
    def end(self) -> int:
        """The position (from 1) of the page's last item."""
        return self.start + len(self.items)


def page_of(
    request: Request, items: Sequence[T], size: int | None = None, param: str = "page",
    path: str | None = None, anchor: str = "",
) -> Paged[T]:  # fmt: skip
    """The page of `items` the request asks for (the first when it asks for none), `size`
    to a page (PAGE_SIZE), its links to `path` (the request's own by default)."""
    size = size or PAGE_SIZE
    kept = tuple((k, v) for k, v in request.query_params.multi_items() if k != param)
    where = path or request.url.path
    first = f"{where}?{urlencode(kept)}" if kept else where
    pages = max(1, -(-len(items) // size))
    asked = request.query_params.get(param)
    number = 1 if asked is None else read_number(asked, first)
    if number > pages:
        raise NoPage(404, asked or "", first, pages)
    start = (number - 1) * size
    return Paged(items[start : start + size], number, pages, len(items), start, where, kept,
                 param, anchor)  # fmt: skip


def read_number(asked: str, first: str) -> int:
    """`asked` as a page number, or NoPage (400) saying it is none."""
    if asked.isascii() and asked.isdigit() and len(asked) <= MOST_DIGITS and int(asked) >= 1:
        return int(asked)
    raise NoPage(400, asked, first)


async def no_page(request: Request, exc: NoPage) -> HTMLResponse:
    """The page that says the page asked for is not there, with a way back to the first."""
    account = await run_in_threadpool(optional_account, request)
    return layout.render(request, "no_page.html", account, exc.status, asked=exc.asked[:40],
                         first=exc.first, pages=exc.pages)  # fmt: skip
