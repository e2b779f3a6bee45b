"""Reading a refused form back from its page: the field a note describes, what it shows, and
whether the note sits next to it."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

CONTROLS = {"input", "textarea", "select"}


@dataclass
class Tag:
    name: str
    attrs: dict[str, str]
    text: str = ""


class _Tags(HTMLParser):
    """Every start tag of a page in order, each with the text that follows it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(Tag(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(Tag("/" + tag, {}))

    def handle_data(self, data: str) -> None:
        if self.tags:
            self.tags[-1].text += data


@dataclass(frozen=True)
class Refused:
    """A field marked invalid: its name, the value it shows, and its note's words."""

    name: str
    value: str
    note: str


def refused(page: str, key: str) -> Refused:
    """The field the note `key`-error describes. Asserts that the field is marked invalid
    and described by the note, and that the note follows it with no other field between."""
    parser = _Tags()
    parser.feed(page)
    tags, note_id = parser.tags, f"{key}-error"
    fields = [
        i for i, t in enumerate(tags) if note_id in t.attrs.get("aria-describedby", "").split()
    ]
    notes = [i for i, t in enumerate(tags) if t.attrs.get("id") == note_id]
    assert len(fields) == 1 and len(notes) == 1, (key, len(fields), len(notes))
    at, said = fields[0], notes[0]
    field = tags[at]
    assert field.name in CONTROLS and field.attrs.get("aria-invalid") == "true", field
    between = [t for t in tags[at + 1 : said] if t.name in CONTROLS]
    assert said > at and not between, (key, between)
    value = field.text if field.name == "textarea" else field.attrs.get("value", "")
    if field.name == "textarea":
        value = value.removeprefix("\n")
    return Refused(field.attrs.get("name", ""), value, tags[said].text.strip())
