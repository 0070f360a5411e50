"""Reference data as the API returns it, labels in the requested language."""

import uuid

from pydantic import BaseModel

from app.i18n import Language, localize
from app.models.country import Country
from app.models.mechanism import Mechanism, MechanismType
from app.models.sdg import SdgGoal, SdgTarget
from app.models.taxonomy import AffectedPerson, Theme


class SdgTargetRead(BaseModel):
    code: str
    goal: int
    title: str

    @classmethod
    def build(cls, target: SdgTarget, lang: Language) -> "SdgTargetRead":
        return cls(code=target.code, goal=target.goal_number, title=localize(target.title, lang))


class SdgGoalRead(BaseModel):
    number: int
    title: str
    short_title: str
    colour: str
    targets_count: int

    @classmethod
    def build(cls, goal: SdgGoal, targets_count: int, lang: Language) -> "SdgGoalRead":
        return cls(
            number=goal.number,
            title=localize(goal.title, lang),
            short_title=localize(goal.short_title, lang),
            colour=goal.colour,
            targets_count=targets_count,
        )


class SdgGoalDetail(SdgGoalRead):
    targets: list[SdgTargetRead]


class MechanismRead(BaseModel):
    code: str
    type: MechanismType
    name: str

    @classmethod
    def build(cls, mechanism: Mechanism, lang: Language) -> "MechanismRead":
        return cls(code=mechanism.code, type=mechanism.type, name=localize(mechanism.name, lang))


class LabelRead(BaseModel):
    """A theme or an affected-persons group."""

    id: uuid.UUID
    name: str

    @classmethod
    def build(cls, label: Theme | AffectedPerson, lang: Language) -> "LabelRead":
        return cls(id=label.id, name=localize(label.name, lang))


class CountryRead(BaseModel):
    iso3: str
    iso2: str
    name: str
    region: str | None

    @classmethod
    def build(cls, country: Country, lang: Language) -> "CountryRead":
        return cls(
            iso3=country.iso3,
            iso2=country.iso2,
            name=localize(country.name, lang),
            region=country.region,
        )
