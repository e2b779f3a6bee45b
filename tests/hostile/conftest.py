"""The attack tests drive the suite's one chromium, the page tests' (it starts last: see the
ordering in tests/conftest.py)."""

from web.conftest import browser  # noqa: F401
