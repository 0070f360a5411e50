"""Recommendations as clients write and read them (DESIGN §2 and §8)."""

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from pydantic.config import JsonDict

from app.i18n import Language, localize
from app.json_types import IsoDate, RequestBody
from app.models.recommendation import (
    Priority,
    Recommendation,
    RecommendationType,
    Status,
    UprPosition,
)
from app.models.sdg import target_sort_order
from app.reference.schemas import LabelRead, MechanismRead

MAX_TEXT_LENGTH = 50_000

TextBody = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]
Symbol = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
UhriId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
StateName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MechanismCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
Iso3 = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
TargetCode = Annotated[str, StringConstraints(pattern=r"^\d{1,2}\.[0-9a-z]{1,2}$")]
GoalNumber = Annotated[int, Field(strict=True, ge=1, le=17)]


class UprWrite(RequestBody):
    position: UprPosition | None = None
    recommending_states: list[StateName] = Field(default_factory=list, max_length=200)
    # Strict: `true` is not cycle 1 (found by fuzzing).
    cycle: int | None = Field(default=None, ge=1, le=4, strict=True)
    session: int | None = Field(default=None, ge=1, le=200, strict=True)


EXAMPLE_RECOMMENDATION: JsonDict = {
    "symbol": "A/HRC/52/10",
    "paragraph": "132.90",
    "type": "recommendation",
    "mechanism": "UPR",
    "countries": ["KEN"],
    "text": {"en": "Ratify the Optional Protocol to the Convention against Torture."},
    "publication_date": "2022-12-14",
    "upr": {"position": "supported", "recommending_states": ["Denmark"], "cycle": 4, "session": 41},
    "sdg_goals": [16],
    "sdg_targets": ["16.3"],
}


class RecommendationCreate(RequestBody):
    # Shown in /docs and tried by Schemathesis; tests/test_openapi.py checks that it is accepted.
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_RECOMMENDATION]})

    uhri_id: UhriId | None = None
    symbol: Symbol
    paragraph: Paragraph | None = None
    type: RecommendationType = RecommendationType.recommendation
    mechanism: MechanismCode
    countries: list[Iso3] = Field(min_length=1, max_length=300)
    text: dict[Language, TextBody] = Field(min_length=1)
    publication_date: IsoDate
    upr: UprWrite | None = None
    themes: list[uuid.UUID] = Field(default_factory=list, max_length=300)
    affected_persons: list[uuid.UUID] = Field(default_factory=list, max_length=300)
    sdg_goals: list[GoalNumber] = Field(default_factory=list, max_length=17)
    sdg_targets: list[TargetCode] = Field(default_factory=list, max_length=169)
    priority: Priority | None = None


# Fields a PATCH may set but never to null.
NOT_NULLABLE = ("symbol", "type", "mechanism", "countries", "text", "publication_date", "archived")


class RecommendationUpdate(RequestBody):
    """Only the fields sent change.

    `text` merges per language: a language given is set, a language set to null is removed.
    """

    uhri_id: UhriId | None = None
    symbol: Symbol | None = None
    paragraph: Paragraph | None = None
    type: RecommendationType | None = None
    mechanism: MechanismCode | None = None
    countries: list[Iso3] | None = Field(default=None, min_length=1, max_length=300)
    text: dict[Language, TextBody | None] | None = Field(default=None, min_length=1)
    publication_date: IsoDate | None = None
    upr: UprWrite | None = None
    themes: list[uuid.UUID] | None = Field(default=None, max_length=300)
    affected_persons: list[uuid.UUID] | None = Field(default=None, max_length=300)
    sdg_goals: list[GoalNumber] | None = Field(default=None, max_length=17)
    sdg_targets: list[TargetCode] | None = Field(default=None, max_length=169)
    priority: Priority | None = None
    archived: StrictBool | None = None
    follow_up_due: IsoDate | None = Field(
        default=None, description="When a treaty body's follow-up answer is due; null to clear"
    )


class BulkPriority(RequestBody):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    priority: Priority | None


class BulkResult(BaseModel):
    updated: int


class UprRead(BaseModel):
    position: UprPosition | None
    recommending_states: list[str]
    cycle: int | None
    session: int | None


class ClusterRef(BaseModel):
    id: uuid.UUID
    name: str


class RecommendationRead(BaseModel):
    id: uuid.UUID
    uhri_id: str | None
    symbol: str
    paragraph: str | None
    type: RecommendationType
    mechanism: MechanismRead
    countries: list[str]
    text: dict[str, str]
    publication_date: dt.date
    upr: UprRead
    themes: list[LabelRead]
    affected_persons: list[LabelRead]
    sdg_goals: list[int]
    sdg_targets: list[str]
    priority: Priority | None
    clusters: list[ClusterRef]
    status: Status
    archived: bool
    follow_up_due: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, rec: Recommendation, lang: Language) -> "RecommendationRead":
        """From a recommendation whose relationships are loaded (after a write)."""
        tags = Tags(
            countries=[link.country_iso3 for link in rec.country_links],
            recommending_states=[s.name for s in rec.recommending_state_links],
            themes=[(t.theme_id, localize(t.theme.name, lang)) for t in rec.theme_links],
            affected_persons=[
                (a.affected_person_id, localize(a.affected_person.name, lang))
                for a in rec.affected_person_links
            ],
            sdg_goals=[g.goal_number for g in rec.sdg_goal_links],
            sdg_targets=[t.target_code for t in rec.sdg_target_links],
            clusters=[
                (link.cluster.id, link.cluster.name)
                for link in rec.cluster_links
                if not link.cluster.archived
            ],
        )
        m = rec.mechanism
        return cls.assemble(
            rec, {"code": m.code, "type": m.type, "name": localize(m.name, lang)}, tags
        )

    @classmethod
    def assemble(
        cls, rec: Recommendation | Any, mechanism: dict[str, Any], tags: "Tags"
    ) -> "RecommendationRead":
        """From a recommendation (or a row of its columns), its mechanism's read fields and its
        tags, labels already in the reader's language."""
        # One validation of plain data: building the nested models one by one cost twice as
        # much, and a page builds fifty of these.
        return cls.model_validate(
            {
                "id": rec.id,
                "uhri_id": rec.uhri_id,
                "symbol": rec.symbol,
                "paragraph": rec.paragraph,
                "type": rec.type,
                "mechanism": mechanism,
                "countries": sorted(tags.countries),
                "text": rec.text,
                "publication_date": rec.publication_date,
                "upr": {
                    "position": rec.upr_position,
                    "recommending_states": sorted(tags.recommending_states),
                    "cycle": rec.upr_cycle,
                    "session": rec.upr_session,
                },
                "themes": _labels(tags.themes),
                "affected_persons": _labels(tags.affected_persons),
                "sdg_goals": sorted(tags.sdg_goals),
                "sdg_targets": sorted(tags.sdg_targets, key=target_sort_order),
                "priority": rec.priority,
                "clusters": _labels(tags.clusters),
                "status": rec.status,
                "archived": rec.archived,
                "follow_up_due": rec.follow_up_due,
                "created_at": rec.created_at,
                "updated_at": rec.updated_at,
                "version": rec.version,
            }
        )


def _labels(pairs: list[tuple[uuid.UUID, str]]) -> list[dict[str, Any]]:
    """{id, name} in name order, for LabelRead and ClusterRef."""
    return [{"id": i, "name": name} for i, name in sorted(pairs, key=_by_name)]


def _by_name(pair: tuple[uuid.UUID, str]) -> str:
    return pair[1]


@dataclass
class Tags:
    """A recommendation's tags, as read models need them."""

    countries: list[str] = field(default_factory=list)
    recommending_states: list[str] = field(default_factory=list)
    # (id, name in the reader's language)
    themes: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    affected_persons: list[tuple[uuid.UUID, str]] = field(default_factory=list)
    sdg_goals: list[int] = field(default_factory=list)
    sdg_targets: list[str] = field(default_factory=list)
    clusters: list[tuple[uuid.UUID, str]] = field(default_factory=list)
