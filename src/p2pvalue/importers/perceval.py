"""The items GrimoireLab's Perceval fetched (git, GitHub, mailing lists, Discourse) read as
pieces of work, each with the people who did it and stable evidence.

Perceval writes one JSON object per item (`backend_name`, `category`, `uuid`, `origin`,
`data`), pretty-printed or one to a line. What each becomes, in units of a kind the charter
decides to count (a kind it lacks is left out, and said so):

- git `commit`: a `commit` (evidence `git:<sha>`, as `import git` gives it, so the two never
  count a commit twice), its `Co-authored-by:` co-authors credited; merges and bots left out.
- GitHub `issue`: an `issue` for who opened it, a `discussion` per comment.
- GitHub `pull_request`: a `pull_request` for who opened it; each submitted review a peer
  review of that contribution (approved, changes requested, commented: `approve`,
  `request_changes`, `comment`), counted toward its acceptance by the charter's rule; a
  `review` for whoever merged it (when not its author); a `discussion` per comment.
- GitLab `issue` and `merge_request`: the same (a merge request as a `pull_request`), an
  approval (a system note) a peer review that approves; other system notes left out.
- mbox / pipermail `message`: a `discussion` (an `answer` when it replies to another).
- Discourse `topic`: a `discussion` for the first post, an `answer` per reply.

People are named by e-mail, as everywhere in imports: the address the source gives, else
one that cannot receive mail (`<id>+<login>@users.noreply.github.com` and
`<id>-<user>@users.noreply.gitlab.com`, the forges' own for users who hide theirs;
`<user>@users.<host>.invalid` on Discourse). Those can be claimed by
an admin's confirmation, not by a mailed link. Every person is resolved through a mailmap
as `import git` resolves authors (the same code): the one given, else the `.mailmap` of the
repository on this machine that a git item was fetched from; e-mails are then lower-cased.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pygit2

from p2pvalue.accounts import Account
from p2pvalue.domain import Wiring
from p2pvalue.importers.contributions import (
    ImportReport,
    PeerReview,
    Work,
    importer_of,
    record,
    require_units,
    units_of,
)
from p2pvalue.importers.git import (
    CO_AUTHOR,
    DEFAULT_BOTS,
    Person,
    repository_mailmap,
    resolved,
)

Item = Mapping[str, Any]
GIT_DATE = "%a %b %d %H:%M:%S %Y %z"
SUMMARY = 200
KINDS = ("commit", "issue", "pull_request", "review", "discussion", "answer")
VERDICTS = {"APPROVED": "approve", "CHANGES_REQUESTED": "request_changes", "COMMENTED": "comment"}
Piece = Work | PeerReview | str  # a piece of work, a review of one, or why something is left out


def read_items(text: str, advance: Callable[[int], None] | None = None) -> Iterator[Item]:
    """Every item of a Perceval output, pretty-printed or one to a line; `advance` is told
    how many characters each took."""
    decoder, at = json.JSONDecoder(), 0
    while True:
        start = at
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        item, at = decoder.raw_decode(text, at)
        if advance:
            advance(at - start)
        yield item


def item_works(item: Item, mailmap: pygit2.Mailmap | None = None) -> Iterator[Piece]:
    """The pieces of work one item holds, or why it holds none that count; the people
    named resolved through `mailmap` as `import git` resolves authors, e-mails
    lower-cased."""
    backend = str(item.get("backend_name", "")).lower()
    reader = READERS.get((backend, str(item.get("category", ""))))
    if reader is None:
        yield f"{item.get('backend_name')} {item.get('category')} items"
        return
    known = mailmap or pygit2.Mailmap()
    for piece in reader(item["data"], str(item.get("origin", ""))):
        yield _mapped(piece, known)


def _mapped(piece: Piece, mailmap: pygit2.Mailmap) -> Piece:
    """`piece` with its people as `mailmap` resolves them, each named once (the first
    named, the author, keeps their place)."""
    if isinstance(piece, str):
        return piece
    if isinstance(piece, PeerReview):
        person = resolved(mailmap, piece.name, piece.email)
        return replace(piece, name=person.name, email=person.email)
    people: dict[str, Person] = {}
    for name, email in zip(piece.names, piece.emails, strict=True):
        person = resolved(mailmap, name, email)
        people.setdefault(person.email, person)
    return replace(piece, emails=tuple(people), names=tuple(p.name for p in people.values()))


class Mailmaps:
    """The mailmap each item's people are resolved through: the one given (`--mailmap`),
    else, for an item fetched from a repository on this machine (its origin a path), that
    repository's own, as git would use it; else none."""

    def __init__(self, given: pygit2.Mailmap | None = None) -> None:
        self._given = given
        self._local: dict[str, pygit2.Mailmap | None] = {}

    def of(self, item: Item) -> pygit2.Mailmap | None:
        if self._given is not None:
            return self._given
        origin = str(item.get("origin", ""))
        path = origin.removeprefix("file://")
        if not path.startswith("/"):
            return None
        if path not in self._local:
            self._local[path] = repository_mailmap(Path(path))
        return self._local[path]


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _iso(text: str) -> int:
    return _ms(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _is_bot(name: str, email: str) -> bool:
    text = f"{name} <{email}>".lower()
    return any(marker in text for marker in DEFAULT_BOTS)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:SUMMARY] if lines else "(no text)"


def _git_commit(data: Item, origin: str) -> Iterator[Piece]:
    """A commit, its author and co-authors as written (the mailmap resolves them later)."""
    if len(data.get("parents") or ()) > 1:
        yield "merge commits"
        return
    name, email = parseaddr(str(data["Author"]))
    if _is_bot(name, email):
        yield "bot commits"
        return
    people = [(name, email)]
    for co_name, co_email in CO_AUTHOR.findall(str(data.get("message", ""))):
        if not _is_bot(co_name, co_email):
            people.append((co_name, co_email))
    when = _ms(datetime.strptime(str(data["AuthorDate"]), GIT_DATE))
    yield Work(
        evidence=f"git:{data['commit']}", kind="commit", when_ms=when, source="perceval:git",
        description=_first_line(str(data.get("message", ""))),
        emails=tuple(e for _, e in people), names=tuple(n for n, _ in people),
    )  # fmt: skip


def _github_person(user: Item | None) -> tuple[str, str] | None:
    """(name, e-mail) of a GitHub user; None for a bot or a deleted user."""
    if not user or user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]"):
        return None
    login = str(user["login"])
    email = str(user.get("email") or f"{user['id']}+{login}@users.noreply.github.com")
    return str(user.get("name") or login), email


def _github_work(
    evidence: str, kind: str, description: str, when: str, user: Item | None
) -> Work | str:
    person = _github_person(user)
    if person is None:
        return "bots and deleted users"
    return Work(evidence=evidence, kind=kind, description=description, when_ms=_iso(when),
                emails=(person[1],), names=(person[0],), source="perceval:github")  # fmt: skip


def _github_review(review: Item, pull: str) -> PeerReview | str:
    """A submitted review of the pull request at `pull`, as a peer review of its work."""
    verdict = VERDICTS.get(str(review.get("state")))
    if verdict is None:
        return "reviews not submitted or dismissed"
    person = _github_person(review.get("user_data"))
    if person is None:
        return "bots and deleted users"
    return PeerReview(evidence=str(review["html_url"]), of=pull, verdict=verdict,
                      when_ms=_iso(str(review["submitted_at"])), email=person[1],
                      name=person[0], source="perceval:github")  # fmt: skip


def _comments(data: Item, title: str) -> Iterator[Piece]:
    for comment in data.get("comments_data") or ():
        yield _github_work(str(comment["html_url"]), "discussion", f"Commented on {title}",
                           str(comment["created_at"]), comment.get("user_data"))  # fmt: skip


def _github_issue(data: Item, origin: str) -> Iterator[Piece]:
    if "pull_request" in data:
        yield "pull requests read as issues"
        return
    title = f"issue #{data['number']}: {data.get('title', '')}"[:SUMMARY]
    yield _github_work(str(data["html_url"]), "issue", f"Opened {title}",
                       str(data["created_at"]), data.get("user_data"))  # fmt: skip
    yield from _comments(data, title)


def _github_pull(data: Item, origin: str) -> Iterator[Piece]:
    title = f"pull request #{data['number']}: {data.get('title', '')}"[:SUMMARY]
    author = data.get("user_data")
    yield _github_work(str(data["html_url"]), "pull_request", f"Opened {title}",
                       str(data["created_at"]), author)  # fmt: skip
    for review in data.get("reviews_data") or ():
        yield _github_review(review, str(data["html_url"]))
    merger = data.get("merged_by_data")
    if data.get("merged_at") and merger and (author or {}).get("login") != merger.get("login"):
        yield _github_work(f"{data['html_url']}#merged", "review", f"Merged {title}",
                           str(data["merged_at"]), merger)  # fmt: skip
    yield from _comments(data, title)


def _gitlab_work(
    evidence: str, kind: str, description: str, when: str, user: Item | None
) -> Work | str:
    person = _gitlab_person(user)
    if person is None:
        return "bots and deleted users"
    return Work(evidence=evidence, kind=kind, description=description, when_ms=_iso(when),
                emails=(person[1],), names=(person[0],), source="perceval:gitlab")  # fmt: skip


def _gitlab_person(user: Item | None) -> tuple[str, str] | None:
    """(name, e-mail) of a GitLab user; None for a bot or a deleted user."""
    if not user or str(user.get("username", "")).endswith("-bot"):
        return None
    email = f"{user['id']}-{user['username']}@users.noreply.gitlab.com".lower()
    return str(user.get("name") or user["username"]), email


def _gitlab_notes(data: Item, title: str) -> Iterator[Piece]:
    """Comments as discussion, an approval (a system note) as a peer review that approves;
    other system notes (moved, labelled, …) are the tool's, not anyone's work."""
    for note in data.get("notes_data") or ():
        evidence, when = f"{data['web_url']}#note_{note['id']}", str(note["created_at"])
        if not note.get("system"):
            yield _gitlab_work(evidence, "discussion", f"Commented on {title}", when,
                               note.get("author"))  # fmt: skip
        elif str(note.get("body", "")).startswith("approved this merge request"):
            yield _gitlab_approval(evidence, str(data["web_url"]), when, note.get("author"))
        else:
            yield "system notes"


def _gitlab_approval(evidence: str, merge: str, when: str, user: Item | None) -> Piece:
    person = _gitlab_person(user)
    if person is None:
        return "bots and deleted users"
    return PeerReview(evidence=evidence, of=merge, verdict="approve", when_ms=_iso(when),
                      email=person[1], name=person[0], source="perceval:gitlab")  # fmt: skip


def _gitlab_issue(data: Item, origin: str) -> Iterator[Piece]:
    title = f"issue #{data['iid']}: {data.get('title', '')}"[:SUMMARY]
    yield _gitlab_work(str(data["web_url"]), "issue", f"Opened {title}",
                       str(data["created_at"]), data.get("author"))  # fmt: skip
    yield from _gitlab_notes(data, title)


def _gitlab_merge(data: Item, origin: str) -> Iterator[Piece]:
    title = f"merge request !{data['iid']}: {data.get('title', '')}"[:SUMMARY]
    author = data.get("author")
    yield _gitlab_work(str(data["web_url"]), "pull_request", f"Opened {title}",
                       str(data["created_at"]), author)  # fmt: skip
    merger = data.get("merged_by")
    if data.get("merged_at") and merger and (author or {}).get("id") != merger.get("id"):
        yield _gitlab_work(f"{data['web_url']}#merged", "review", f"Merged {title}",
                           str(data["merged_at"]), merger)  # fmt: skip
    yield from _gitlab_notes(data, title)


def _message(data: Item, origin: str) -> Iterator[Piece]:
    name, email = parseaddr(str(data.get("From", "")).replace(" at ", "@"))
    if "@" not in email:
        yield "messages without a sender's address"
        return
    replying = bool(data.get("In-Reply-To") or data.get("References"))
    subject = str(data.get("Subject") or "(no subject)")[:SUMMARY]
    yield Work(
        evidence=f"mail:{data['Message-ID']}", kind="answer" if replying else "discussion",
        description=f"{'Answered' if replying else 'Wrote'} on the list: {subject}",
        when_ms=_ms(parsedate_to_datetime(str(data["Date"]))),
        emails=(email,), names=(name or email,), source="perceval:mail",
    )  # fmt: skip


def _discourse_topic(data: Item, origin: str) -> Iterator[Piece]:
    host = urlsplit(origin).hostname or "discourse"
    title = str(data.get("title", ""))[:SUMMARY]
    for post in data.get("post_stream", {}).get("posts") or ():
        user = str(post["username"])
        if user.lower() in ("system", "discobot"):
            yield "bots and deleted users"
            continue
        first = post.get("post_number") == 1
        url = f"{origin.rstrip('/')}/t/{data['slug']}/{data['id']}/{post['post_number']}"
        yield Work(
            evidence=url, kind="discussion" if first else "answer",
            description=f"{'Started' if first else 'Answered in'} the topic {title}",
            when_ms=_iso(str(post["created_at"])), source="perceval:discourse",
            emails=(f"{_local(user)}@users.{host}.invalid",), names=(post.get("name") or user,),
        )  # fmt: skip


def _local(user: str) -> str:
    return re.sub(r"[^a-z0-9._-]", "-", user.lower())


READERS: dict[tuple[str, str], Callable[[Item, str], Iterator[Piece]]] = {
    ("git", "commit"): _git_commit,
    ("github", "issue"): _github_issue,
    ("github", "pull_request"): _github_pull,
    ("gitlab", "issue"): _gitlab_issue,
    ("gitlab", "merge_request"): _gitlab_merge,
    ("mbox", "message"): _message,
    ("pipermail", "message"): _message,
    ("discourse", "topic"): _discourse_topic,
}


def perceval_works(
    text: str, advance: Callable[[int], None] | None = None,
    mailmap: pygit2.Mailmap | None = None,
) -> Iterator[Piece]:  # fmt: skip
    """Every piece of work in a Perceval output, in its order, its people resolved through
    `mailmap`, else through the `.mailmap` of a local repository an item came from."""
    mailmaps = Mailmaps(mailmap)
    for item in read_items(text, advance):
        yield from item_works(item, mailmaps.of(item))


def import_perceval(
    wiring: Wiring, space: str, text: str, importer: Account | None = None,
    advance: Callable[[int], None] | None = None, mailmap: pygit2.Mailmap | None = None,
) -> ImportReport:  # fmt: skip
    """Import a Perceval output into `space`, signed by `importer` (by default the space's
    timekeeper here), people resolved through `mailmap` (see `perceval_works`); idempotent,
    since each piece's evidence is imported once. Refused before anything is written when
    the equation counts one of its kinds other than in units."""
    signer = importer or importer_of(wiring, space)
    units = units_of(wiring, space)
    require_units(wiring, space, {kind: "units" for kind in KINDS if kind in units})
    return record(wiring, space, signer, perceval_works(text, advance, mailmap))
