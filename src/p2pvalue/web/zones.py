"""The viewer's time zone, for every time a page shows: `?tz=` (an IANA name), else the
`tz` cookie that `static/timezone.js` sets from the browser, else UTC. A page is right
without a script once a zone is known."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request

TZ_COOKIE = "tz"
UTC_ZONE = ZoneInfo("UTC")


def zone_of(request: Request) -> ZoneInfo:
    """The viewer's time zone: `?tz=`, else the `tz` cookie, else UTC."""
    cookie = unquote(request.cookies.get(TZ_COOKIE) or "")  # the script encodes the '/'
    for name in (request.query_params.get("tz"), cookie):
        if not name or len(name) > 64:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC_ZONE


def local(ms: int, zone: ZoneInfo) -> str:
    """A time in milliseconds as the viewer reads it: '2026-05-01 09:30 -05'."""
    return datetime.fromtimestamp(ms / 1000, zone).strftime("%Y-%m-%d %H:%M %Z")
