"""Query values out of range are 422 with the error shape, never a server error."""

from __future__ import annotations

from web.client import ApiClient, error_code


def test_huge_paging_cursor_is_refused(api: ApiClient) -> None:
    alice = api.sign_up("alice")
    space = api.create_space(alice)
    for after in ("100000000000000000000", "9223372036854775808"):
        page = api.http.get(f"/api/v1/spaces/{space}/events", params={"after": after})
        assert (page.status_code, error_code(page)) == (422, "invalid_request")
