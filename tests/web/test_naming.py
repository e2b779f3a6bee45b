"""Members named on the pages: a display name where the viewer may see one, the username
kept at hand for '@username' and links, a shortened did for who has no account here."""

from __future__ import annotations

from p2pvalue.node import Node
from p2pvalue.social import Social
from p2pvalue.web.naming import Names, names_of
from web.client import PASSWORD, ApiClient, Member


def test_names_prefer_the_display_name_and_keep_the_username() -> None:
    names = Names({"did:a": "ana", "did:b": "ben"}, {"did:a": "Ana Ruiz", "did:z": "Zed"})
    assert dict(names) == {"did:a": "Ana Ruiz", "did:b": "ben"}
    assert (names.username("did:a"), names.handle("did:a")) == ("ana", "@ana")
    assert (names.get("did:b"), names.handle("did:b")) == ("ben", "")
    assert names.get("did:z") is None and names.handle("did:z") == ""


def test_names_of_asks_what_the_viewer_may_see(sqlite_node: Node) -> None:
    ana = sqlite_node.accounts.register("ana", PASSWORD)
    ben = sqlite_node.accounts.register("ben", PASSWORD)
    sqlite_node.service(Social).profiles.replace(
        ana, ana.did, {"display_name": {"value": "Ana Ruiz", "visibility": "members"}}
    )
    assert dict(names_of(sqlite_node, [ana.did, ben.did], ana.did)) == {
        ana.did: "Ana Ruiz", ben.did: "ben"}  # fmt: skip
    assert names_of(sqlite_node, [ana.did], ben.did).get(ana.did) == "ana"
    assert names_of(sqlite_node, [ana.did], None).get(ana.did) == "ana"


def test_pages_and_sentences_name_members_as_the_viewer_may_see_them(
    api: ApiClient, node: Node
) -> None:
    alice, bob, carol = api.sign_up("alice"), api.sign_up("bob"), api.sign_up("carol")
    space = api.create_space(alice)
    assert api.act(bob, space, "member.join").status_code == 201
    task = api.act(bob, space, "task.create", {"title": "Oil the lathe"}).json()["id"]
    assert api.act(bob, space, "task.claim", {"task": task}).status_code == 201
    profiles = node.service(Social).profiles
    for member, name, visibility in ((alice, "Alice Liddell", "public"),
                                     (bob, "Roberto", "members")):  # fmt: skip
        account = node.accounts.by_did(member.did)
        assert account is not None
        profiles.replace(
            account, member.did, {"display_name": {"value": name, "visibility": visibility}}
        )

    def seen_by(member: Member | None, path: str) -> str:
        api.http.cookies.clear()
        if member is not None:
            api.http.post("/login", data={"username": member.username, "password": PASSWORD})
        text: str = api.http.get(path).text
        return text

    for viewer in (None, carol):
        page = seen_by(viewer, f"/spaces/{space}")
        assert f'<a href="/members/{alice.did}">Alice Liddell</a> founded' in page
        assert "@alice" in page
        assert "Roberto" not in page and f'<a href="/members/{bob.did}">bob</a>' in page

    for path in (f"/spaces/{space}", f"/spaces/{space}/tasks", f"/spaces/{space}/tasks/{task}",
                 f"/spaces/{space}/members/{bob.did}", f"/members/{bob.did}"):  # fmt: skip
        page = seen_by(alice, path)
        assert "Roberto" in page, path
    assert "@bob" in seen_by(alice, f"/spaces/{space}/members/{bob.did}")
    assert "@bob" in seen_by(alice, f"/spaces/{space}")
    api.http.post("/messages", data={"to": "bob", "text": "Is the lathe oiled?"})
    talks = api.http.get("/messages").text
    assert '<a href="/messages/bob"><strong>Roberto</strong></a>' in talks
    talk = api.http.get("/messages/bob").text
    assert "Messages with Roberto" in talk and "@bob" in talk and "Send to Roberto" in talk
