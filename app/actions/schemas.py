import datetime as dt
import uuid
from typing import Annotated, Self

from pydantic import BaseModel, Field, StringConstraints, model_validator

from app.clock import today
from app.json_types import IsoDate, RequestBody
from app.models.action import CLOSED_ACTION_STATUSES, Action, ActionStatus

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=20_000)]


class ActionCreate(RequestBody):
    title: Title
    description: Description | None = None
    recommendation_ids: list[uuid.UUID] = Field(min_length=1, max_length=10_000)
    institution_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None
    status: ActionStatus = ActionStatus.planned

    @model_validator(mode="after")
    def _start_before_due(self) -> Self:
        if self.start_date and self.due_date and self.start_date > self.due_date:
            raise ValueError("start_date is after due_date")
        return self


class ActionUpdate(RequestBody):
    """A focal point may send `status` only; coordinators may change everything."""

    title: Title | None = None
    description: Description | None = None
    recommendation_ids: list[uuid.UUID] | None = Field(
        default=None, min_length=1, max_length=10_000
    )
    institution_id: uuid.UUID | None = None
    start_date: IsoDate | None = None
    due_date: IsoDate | None = None
    status: ActionStatus | None = None


class ActionRead(BaseModel):
    id: uuid.UUID
    title: str
    description: str | None
    recommendation_ids: list[uuid.UUID]
    institution_id: uuid.UUID | None
    start_date: dt.date | None
    due_date: dt.date | None
    status: ActionStatus
    completed_at: dt.datetime | None
    overdue: bool = Field(description="Due before today and neither completed nor cancelled")
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, action: Action, recommendation_ids: list[uuid.UUID]) -> "ActionRead":
        overdue = (
            action.due_date is not None
            and action.due_date < today()
            and action.status not in CLOSED_ACTION_STATUSES
        )
        return cls(
            id=action.id, title=action.title, description=action.description,
            recommendation_ids=recommendation_ids, institution_id=action.institution_id,
            start_date=action.start_date, due_date=action.due_date, status=action.status,
            completed_at=action.completed_at, overdue=overdue, created_at=action.created_at,
            updated_at=action.updated_at, version=action.version,
        )  # fmt: skip
