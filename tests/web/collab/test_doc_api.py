"""The documents API on each backend: create and list, members-only reads, refusals with
their codes and nothing stored."""

from __future__ import annotations

from web.client import ApiClient, error_code
from web.ypeer import community


def test_documents_are_created_listed_and_read_by_members(api: ApiClient) -> None:
    alice, bob, carol, space, doc = community(api)
    base = f"/api/v1/spaces/{space}/docs"
    listed = api.http.get(base).json()["documents"]
    assert [(d["id"], d["title"], d["socket"], d["snapshots"]) for d in listed] == [
        (doc, "Field notes", f"/ws/docs/{doc}", 0)]  # fmt: skip
    for member, writable in ((alice, True), (bob, True), (carol, False)):
        found = api.http.get(f"{base}/{doc}", headers=member.auth)
        assert found.status_code == 200, found.text
        assert (found.json()["text"], found.json()["writable"]) == ("", writable)
        assert found.json()["measure"]["units"] == 0


def test_reads_and_snapshots_are_refused_to_outsiders(api: ApiClient) -> None:
    alice, _bob, _carol, space, doc = community(api)
    outsider = api.sign_up("mallory")
    base = f"/api/v1/spaces/{space}/docs/{doc}"
    read = api.http.get(base, headers=outsider.auth)
    assert (read.status_code, error_code(read)) == (403, "not_a_member")
    anonymous = api.http.get(base)
    assert (anonymous.status_code, error_code(anonymous)) == (401, "not_authenticated")
    snap = api.http.post(f"{base}/snapshots", headers=outsider.auth)
    assert (snap.status_code, error_code(snap)) == (403, "not_a_member")
    before = api.count(space)
    empty = api.http.post(f"{base}/snapshots", headers=alice.auth)
    assert empty.status_code == 201, empty.text  # the empty document's first snapshot
    again = api.http.post(f"{base}/snapshots", headers=alice.auth)
    assert (again.status_code, error_code(again)) == (409, "snapshot_unchanged")
    assert api.count(space) == before + 1


def test_unknown_documents_and_projects_are_refused(api: ApiClient) -> None:
    alice, _bob, _carol, space, doc = community(api)
    other = api.create_space(alice, "Elsewhere")
    elsewhere = api.http.get(f"/api/v1/spaces/{other}/docs/{doc}", headers=alice.auth)
    assert (elsewhere.status_code, error_code(elsewhere)) == (404, "unknown_document")
    missing = api.http.get(f"/api/v1/spaces/{space}/docs/{'D' * 43}", headers=alice.auth)
    assert (missing.status_code, error_code(missing)) == (404, "unknown_document")
    before = api.count(space)
    body = {"title": "Plans", "project": "P" * 43}
    made = api.http.post(f"/api/v1/spaces/{space}/docs", json=body, headers=alice.auth)
    assert (made.status_code, error_code(made)) == (404, "unknown_project")
    untitled = api.http.post(f"/api/v1/spaces/{space}/docs", json={"title": ""},
                             headers=alice.auth)  # fmt: skip
    assert (untitled.status_code, error_code(untitled)) == (422, "invalid_request")
    assert api.count(space) == before
