"""The notifications pages and API in-process, on each backend: read marks through the API
and the page's forms, the unread count in the navigation, the mail preferences refused by
field with what was typed kept, and the unsubscribe link."""

from __future__ import annotations

from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.store import notices
from web.client import ApiClient, Member

READ = "/api/v1/me/notifications/read"


def _mentioned(api: ApiClient) -> tuple[str, str, ApiClient, Member]:
    ann, ben = api.sign_up("ann"), api.sign_up("ben")
    space = api.create_space(ann, "Guild")
    assert api.act(ben, space, "member.join").status_code == 201
    asking = {"on": {"kind": "space"}, "title": "Lathe", "text": "@ben help?"}
    posted = api.act(ann, space, "thread.create", asking)
    assert posted.status_code == 201, posted.text
    return space, posted.json()["id"], api, ben


def test_read_marks_through_the_api_and_the_count_in_the_navigation(api: ApiClient) -> None:
    _, post, _, ben = _mentioned(api)
    auth = ben.auth
    listed = api.http.get("/api/v1/me/notifications", headers=auth).json()["notifications"]
    assert [(n["id"], n["read"]) for n in listed] == [(f"mention:{post}", False)]
    page = api.http.get("/notifications", headers=auth).text
    assert '<span class="count" id="unread-count">1<' in page
    assert "ann mentioned you in “Lathe” in Guild." in page

    marked = api.http.post(READ, json={"ids": [f"mention:{post}", "mention:other"]}, headers=auth)
    assert marked.json() == {"marked": 1, "unread": 0}
    assert 'id="unread-count"' not in api.http.get("/notifications", headers=auth).text
    assert api.http.post(READ, headers=auth).json() == {"marked": 0, "unread": 0}
    too_long = api.http.post(READ, json={"ids": ["x" * 101]}, headers=auth)
    assert too_long.status_code == 422
    assert api.http.post(READ).status_code == 401


def test_the_page_form_marks_one_read(api: ApiClient) -> None:
    _, post, _, ben = _mentioned(api)
    auth = ben.auth
    done = api.http.post("/notifications/read", data={"note": f"mention:{post}"}, headers=auth,
                         follow_redirects=False)  # fmt: skip
    assert (done.status_code, done.headers["location"]) == (
        303,
        f"/notifications#after-mention:{post}",
    )
    assert 'class="read"' in api.http.get("/notifications", headers=auth).text


def test_preferences_are_refused_by_field_and_kept_when_right(api: ApiClient, node: Node) -> None:
    _, _, _, ben = _mentioned(api)
    auth = ben.auth
    form = {"address": "ben at home", "cadence_mention": "hourly", "cadence_payout": "weekly"}
    refused = api.http.post("/notifications/settings", data=form, headers=auth)
    assert refused.status_code == 422
    assert 'id="address-error"' in refused.text and 'value="ben at home"' in refused.text
    assert 'id="cadence_mention-error"' in refused.text
    assert node.service(Social).mailing.choice(ben.did).address == ""

    form = {"address": " ben@example.org ", "cadence_mention": "never", "cadence_payout": "weekly"}
    saved = api.http.post(
        "/notifications/settings", data=form, headers=auth, follow_redirects=False
    )
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        "/notifications/settings?saved=true",
    )
    choice = node.service(Social).mailing.choice(ben.did)
    assert (choice.address, choice.cadences["mention"], choice.cadences["payout"]) == (
        "ben@example.org", "never", "weekly")  # fmt: skip
    assert choice.cadences["outcome"] == "daily"


def test_the_unsubscribe_link_stops_all_mail_without_logging_in(api: ApiClient, node: Node) -> None:
    _, _, _, ben = _mentioned(api)
    did = ben.did
    assert node.service(Social).mailing.save(did, "ben@example.org", {}) == {}
    with node.engine.connect() as conn:
        settings = notices.settings(conn, did)
    assert settings is not None
    wrong = api.http.post("/notifications/unsubscribe?token=nope")
    assert wrong.status_code == 404 and "not one this node gave out" in wrong.text
    one_click = api.http.post(f"/notifications/unsubscribe?token={settings.token}",
                              data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    assert one_click.status_code == 200 and 'id="unsubscribed"' in one_click.text
    assert set(node.service(Social).mailing.choice(did).cadences.values()) == {"never"}
