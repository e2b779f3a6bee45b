"""The insight domain's event type and charter section, as the catalog takes them.

A member declares the organisation they work for (`affiliation.declare`, an empty name
withdraws it): the Elephant Factor counts contributions by it. The charter's `research`
section says whether the space's anonymised network and activity may be exported.
"""

from __future__ import annotations

from pydantic import Field

from p2pvalue.events.types import RANK_ORDINARY, CharterSection, Content, EventType
from p2pvalue.insight.research import SECTION, ResearchPolicy

AFFILIATION = "affiliation.declare"


class AffiliationDeclare(Content):
    organisation: str = Field(default="", max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$")


TYPES = (EventType(AFFILIATION, RANK_ORDINARY, AffiliationDeclare, erasable=True),)
SECTIONS = (CharterSection(SECTION, ResearchPolicy | None, Field(default=None)),)
