"""Collaboration events told as activity: projects, tasks, threads and documents, each
linked to its page (a document only for a reader who may open it)."""

from __future__ import annotations

from markupsafe import Markup

from p2pvalue.collab import documents
from p2pvalue.web.i18n import N_, markup
from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _the(path: str, field: str, event_id: object, s: Scene, known: str, unknown: str) -> Markup:
    """The project, task or thread an event is about, linked by its name or title: `known`
    names it, `unknown` says it when this node does not hold it."""
    found = s.about(event_id)
    if found is None:
        return markup(unknown)
    return markup(known, name=s.link(f"/{path}/{found.id}", quoted(found.content.get(field))))


def _task(e: Happening, s: Scene) -> Markup:
    return _the("tasks", "title", e.content.get("task"), s,
                N_("the task %(name)s"), N_("a task"))  # fmt: skip


def _project_started(e: Happening, s: Scene) -> Line:
    name = s.link(f"/projects/{e.id}", quoted(e.content.get("name")))
    return Line(markup("%(who)s started the project %(name)s", who=s.who(e.author), name=name))


def _project_updated(e: Happening, s: Scene) -> Line:
    project = _the("projects", "name", e.content.get("project"), s,
                   N_("the project %(name)s"), N_("a project"))  # fmt: skip
    return Line(markup("%(who)s updated %(project)s", who=s.who(e.author), project=project))


def _task_opened(e: Happening, s: Scene) -> Line:
    title = s.link(f"/tasks/{e.id}", quoted(e.content.get("title")))
    return Line(markup("%(who)s opened the task %(title)s", who=s.who(e.author), title=title))


def _on_task(sentence: str, note: str | None = None) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        text = e.content.get(note) if note else None
        return Line(markup(sentence, who=s.who(e.author), task=_task(e, s)), text or None)

    return told


def _assigned(e: Happening, s: Scene) -> Line:
    people = Markup(", ").join(s.who(str(did)) for did in e.content.get("assignees") or ())
    return Line(markup("%(who)s gave %(task)s to %(people)s",
                       who=s.who(e.author), task=_task(e, s), people=people))  # fmt: skip


def _thread_started(e: Happening, s: Scene) -> Line:
    title = s.link(f"/threads/{e.id}", quoted(e.content.get("title")))
    return Line(markup("%(who)s started the thread %(title)s", who=s.who(e.author), title=title),
                str(e.content.get("text", "")))  # fmt: skip


def _replied(e: Happening, s: Scene) -> Line:
    thread = _the("threads", "title", e.content.get("thread"), s,
                  N_("the thread %(name)s"), N_("a thread"))  # fmt: skip
    return Line(markup("%(who)s replied in %(thread)s", who=s.who(e.author), thread=thread),
                str(e.content.get("text", "")))  # fmt: skip


def _edited(e: Happening, s: Scene) -> Line:
    return Line(markup("%(who)s edited a post", who=s.who(e.author)),
                str(e.content.get("text", "")))  # fmt: skip


def _reacted(e: Happening, s: Scene) -> Line | None:
    if not e.content.get("on"):
        return None
    post, emoji = s.about(e.content.get("post")), e.content.get("emoji")
    if post is None:
        return Line(markup("%(who)s reacted %(emoji)s to a post", who=s.who(e.author),
                           emoji=emoji))  # fmt: skip
    return Line(markup("%(who)s reacted %(emoji)s to %(author)s's post", who=s.who(e.author),
                       emoji=emoji, author=s.who(post.author)))  # fmt: skip


def _doc_started(e: Happening, s: Scene) -> Line:
    title: str | Markup = quoted(e.content.get("title"))
    if s.reads(documents.reads):
        title = s.link(f"/docs/{e.id}", title)
    return Line(markup("%(who)s started the document %(title)s", who=s.who(e.author),
                       title=title))  # fmt: skip


def _untold(e: Happening, s: Scene) -> None:
    return None


PHRASES: dict[str, Phrase] = {
    "project.create": _project_started, "project.update": _project_updated,
    "task.create": _task_opened, "task.claim": _on_task(N_("%(who)s took on %(task)s")),
    "task.assign": _assigned,
    "task.submit": _on_task(N_("%(who)s handed in %(task)s"), "note"),
    "task.done": _on_task(N_("%(who)s finished %(task)s")),
    "task.drop": _on_task(N_("%(who)s let go of %(task)s"), "reason"),
    "task.reopen": _on_task(N_("%(who)s reopened %(task)s")),
    "thread.create": _thread_started, "thread.reply": _replied, "thread.edit": _edited,
    "thread.react": _reacted, "doc.create": _doc_started, "doc.snapshot": _untold,
}  # fmt: skip
