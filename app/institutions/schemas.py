import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, StrictBool, StringConstraints

from app.json_types import RequestBody
from app.models.institution import Institution, InstitutionKind

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Acronym = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class InstitutionCreate(RequestBody):
    name: Name
    acronym: Acronym | None = None
    kind: InstitutionKind
    parent_id: uuid.UUID | None = None


class InstitutionUpdate(RequestBody):
    name: Name | None = None
    acronym: Acronym | None = None
    kind: InstitutionKind | None = None
    parent_id: uuid.UUID | None = None
    archived: StrictBool | None = None


class InstitutionRead(BaseModel):
    id: uuid.UUID
    name: str
    acronym: str | None
    kind: InstitutionKind
    parent_id: uuid.UUID | None
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, institution: Institution) -> "InstitutionRead":
        return cls.model_validate(institution, from_attributes=True)
