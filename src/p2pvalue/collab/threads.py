"""Discussion threads, folded from a space's log: posts, their edit history and reactions.

`fold` is a pure function of the space's accepted thread events in order and of what a
thread may be about (`Targets`). As with the board, `check` gives the reason an event may
not take effect: the node refuses such a local action, and one from elsewhere is kept with
no effect (`Threads.void`). A post's text is kept as every version it had, with the event
and time of each, so an edit never hides what was said before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from p2pvalue.events.authority import AuthorizedEvent as ValueEvent
from p2pvalue.wording import N_

THREAD_TYPES = frozenset({"thread.create", "thread.reply", "thread.edit", "thread.react"})
THREAD_REFUSALS = {
    "unknown_target": N_("the thread is on a proposal or claim this space does not have"),
    "unknown_thread": N_("no such thread in this space"),
    "unknown_post": N_("no such post in this space"),
    "not_the_author": N_("only a post's author may edit it"),
    "edit_unchanged": N_("the edit leaves the text as it is"),
    "already_reacted": N_("you already reacted with this emoji"),
    "not_reacted": N_("you have not reacted with this emoji"),
}
# Whether a thread may be on (kind, id); the refusal code if not.
Targets = Callable[[str, str | None], str | None]


@dataclass(frozen=True)
class Version:
    event: str
    ts: int
    text: str


@dataclass
class Post:
    id: str
    thread: str
    author: str
    ts: int
    versions: list[Version]
    reactions: dict[str, list[str]] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.versions[-1].text


@dataclass
class Thread:
    id: str
    author: str
    title: str
    kind: str
    target: str | None
    ts: int
    posts: list[str]


@dataclass
class Threads:
    threads: dict[str, Thread] = field(default_factory=dict)
    posts: dict[str, Post] = field(default_factory=dict)
    void: dict[str, str] = field(default_factory=dict)

    def on(self, kind: str | None = None, target: str | None = None) -> list[Thread]:
        """Threads in the order they were started, only those on `kind` (and `target`)."""
        return [
            thread for thread in self.threads.values()
            if (kind is None or thread.kind == kind) and (target is None or thread.target == target)
        ]  # fmt: skip


def fold(events: Iterable[ValueEvent], targets: Targets) -> Threads:
    """The threads of a space from its accepted thread events, in the space's order."""
    return folded(Threads(), events, targets)


def folded(threads: Threads, events: Iterable[ValueEvent], targets: Targets) -> Threads:
    """`threads` with the thread events among `events` (which follow the ones it holds)
    folded on, as new threads if any: `threads` and the threads and posts in it stay as
    they are."""
    mine = [event for event in events if event.type in THREAD_TYPES]
    if not mine:
        return threads
    threads = Threads(dict(threads.threads), dict(threads.posts), dict(threads.void))
    for event in mine:
        reason = check(threads, event, targets)
        if reason is None:
            _EFFECTS[event.type](threads, event)
        else:
            threads.void[event.id] = reason
    return threads


def check(threads: Threads, event: ValueEvent, targets: Targets) -> str | None:
    """None if `event` may take effect on `threads`, else the reason it may not."""
    content = event.content
    if event.type == "thread.create":
        return targets(content["on"]["kind"], content["on"].get("id"))
    if event.type == "thread.reply":
        return None if content["thread"] in threads.threads else "unknown_thread"
    post = threads.posts.get(content["post"])
    if post is None:
        return "unknown_post"
    if event.type == "thread.edit":
        if post.author != event.author:
            return "not_the_author"
        return "edit_unchanged" if post.text == content["text"] else None
    reacted = event.author in post.reactions.get(content["emoji"], ())
    if content["on"]:
        return "already_reacted" if reacted else None
    return None if reacted else "not_reacted"


def _apply_create(threads: Threads, event: ValueEvent) -> None:
    content = event.content
    threads.threads[event.id] = Thread(
        event.id, event.author, content["title"], content["on"]["kind"],
        content["on"].get("id"), event.ts, [event.id],
    )  # fmt: skip
    _add_post(threads, event, event.id)


def _apply_reply(threads: Threads, event: ValueEvent) -> None:
    thread = threads.threads[event.content["thread"]]
    threads.threads[thread.id] = replace(thread, posts=[*thread.posts, event.id])
    _add_post(threads, event, event.content["thread"])


def _add_post(threads: Threads, event: ValueEvent, thread: str) -> None:
    first = Version(event.id, event.ts, event.content["text"])
    threads.posts[event.id] = Post(event.id, thread, event.author, event.ts, [first])


def _apply_edit(threads: Threads, event: ValueEvent) -> None:
    post = threads.posts[event.content["post"]]
    version = Version(event.id, event.ts, event.content["text"])
    threads.posts[post.id] = replace(post, versions=[*post.versions, version])


def _apply_react(threads: Threads, event: ValueEvent) -> None:
    before = threads.posts[event.content["post"]]
    # Changed as a copy: the threads before hold the post as it was.
    post = threads.posts[before.id] = replace(
        before, reactions={emoji: list(who) for emoji, who in before.reactions.items()}
    )
    emoji = event.content["emoji"]
    who = post.reactions.setdefault(emoji, [])
    if event.content["on"]:
        who.append(event.author)
    else:
        who.remove(event.author)
        if not who:
            del post.reactions[emoji]


_EFFECTS: dict[str, Callable[[Threads, ValueEvent], None]] = {
    "thread.create": _apply_create,
    "thread.reply": _apply_reply,
    "thread.edit": _apply_edit,
    "thread.react": _apply_react,
}
