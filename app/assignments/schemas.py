import datetime as dt
import uuid
from typing import Self

from pydantic import BaseModel, Field, model_validator

from app.auth.visibility import ShowsUsers, UserRef
from app.clusters.schemas import RecommendationIds
from app.json_types import IsoDate, RequestBody
from app.models.assignment import Assignment, AssignmentRole


class _Dates(RequestBody):
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None

    @model_validator(mode="after")
    def _start_before_due(self) -> Self:
        if self.start_date and self.due_date and self.start_date > self.due_date:
            raise ValueError("start_date is after due_date")
        return self


class AssignmentCreate(_Dates):
    recommendation_id: uuid.UUID
    institution_id: uuid.UUID
    role: AssignmentRole = AssignmentRole.lead
    focal_point_id: uuid.UUID | None = None


class AssignmentUpdate(_Dates):
    role: AssignmentRole | None = None
    focal_point_id: uuid.UUID | None = None


class AssignmentBulk(_Dates):
    recommendation_ids: RecommendationIds
    institution_id: uuid.UUID
    role: AssignmentRole = AssignmentRole.lead
    focal_point_id: uuid.UUID | None = None


class AssignmentBulkResult(BaseModel):
    created: int
    updated: int
    assignment_ids: list[uuid.UUID] = Field(description="One per recommendation, in the order sent")


class AssignmentRead(ShowsUsers):
    id: uuid.UUID
    recommendation_id: uuid.UUID
    institution_id: uuid.UUID
    role: AssignmentRole
    start_date: dt.date | None
    due_date: dt.date | None
    focal_point_id: UserRef
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, assignment: Assignment) -> "AssignmentRead":
        return cls.model_validate(assignment, from_attributes=True)
