"""Collaboration events told as activity: projects, tasks, threads and documents, each
linked to its page."""

from __future__ import annotations

from markupsafe import Markup

from p2pvalue.web.phrasing import Happening, Line, Phrase, Scene, quoted


def _the(kind: str, path: str, field: str, event_id: object, s: Scene) -> Markup:
    """The project, task or thread an event is about, linked by its name or title."""
    found = s.about(event_id)
    if found is None:
        return Markup("a {}").format(kind)
    return Markup("the {} {}").format(kind, s.link(f"/{path}/{found.id}",
                                                   quoted(found.content.get(field))))  # fmt: skip


def _task(e: Happening, s: Scene) -> Markup:
    return _the("task", "tasks", "title", e.content.get("task"), s)


def _project_started(e: Happening, s: Scene) -> Line:
    name = s.link(f"/projects/{e.id}", quoted(e.content.get("name")))
    return Line(Markup("{} started the project {}").format(s.who(e.author), name))


def _project_updated(e: Happening, s: Scene) -> Line:
    project = _the("project", "projects", "name", e.content.get("project"), s)
    return Line(Markup("{} updated {}").format(s.who(e.author), project))


def _task_opened(e: Happening, s: Scene) -> Line:
    title = s.link(f"/tasks/{e.id}", quoted(e.content.get("title")))
    return Line(Markup("{} opened the task {}").format(s.who(e.author), title))


def _on_task(verb: str, note: str | None = None) -> Phrase:
    def told(e: Happening, s: Scene) -> Line:
        text = e.content.get(note) if note else None
        return Line(Markup("{} {} {}").format(s.who(e.author), verb, _task(e, s)), text or None)

    return told


def _assigned(e: Happening, s: Scene) -> Line:
    people = Markup(", ").join(s.who(str(did)) for did in e.content.get("assignees") or ())
    return Line(Markup("{} gave {} to {}").format(s.who(e.author), _task(e, s), people))


def _thread_started(e: Happening, s: Scene) -> Line:
    title = s.link(f"/threads/{e.id}", quoted(e.content.get("title")))
    return Line(Markup("{} started the thread {}").format(s.who(e.author), title),
                str(e.content.get("text", "")))  # fmt: skip


def _replied(e: Happening, s: Scene) -> Line:
    thread = _the("thread", "threads", "title", e.content.get("thread"), s)
    return Line(Markup("{} replied in {}").format(s.who(e.author), thread),
                str(e.content.get("text", "")))  # fmt: skip


def _edited(e: Happening, s: Scene) -> Line:
    return Line(Markup("{} edited a post").format(s.who(e.author)), str(e.content.get("text", "")))


def _reacted(e: Happening, s: Scene) -> Line | None:
    if not e.content.get("on"):
        return None
    post = s.about(e.content.get("post"))
    whose = s.whose(post.author) if post is not None else Markup("a")
    return Line(Markup("{} reacted {} to {} post").format(
        s.who(e.author), e.content.get("emoji"), whose))  # fmt: skip


def _doc_started(e: Happening, s: Scene) -> Line:
    title = s.link(f"/docs/{e.id}", quoted(e.content.get("title")))
    return Line(Markup("{} started the document {}").format(s.who(e.author), title))


def _untold(e: Happening, s: Scene) -> None:
    return None


PHRASES: dict[str, Phrase] = {
    "project.create": _project_started, "project.update": _project_updated,
    "task.create": _task_opened, "task.claim": _on_task("took on"),
    "task.assign": _assigned, "task.submit": _on_task("handed in", "note"),
    "task.done": _on_task("finished"), "task.drop": _on_task("let go of", "reason"),
    "task.reopen": _on_task("reopened"),
    "thread.create": _thread_started, "thread.reply": _replied, "thread.edit": _edited,
    "thread.react": _reacted, "doc.create": _doc_started, "doc.snapshot": _untold,
}  # fmt: skip
