import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from app.auth.visibility import InternalText, ShowsUsers, UserRef
from app.json_types import RequestBody
from app.models.progress_update import Assessment, ProgressUpdate, UpdateState

Narrative = Annotated[str, StringConstraints(max_length=20_000)]
Link = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://\S+$")
]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class ProgressUpdateCreate(RequestBody):
    assessment: Assessment
    narrative: Narrative | None = None
    evidence: list[Link] = Field(default_factory=list, max_length=50)
    institution_id: uuid.UUID | None = Field(
        default=None, description="Who reports; a focal point always reports for its own"
    )


class ProgressUpdateEdit(RequestBody):
    assessment: Assessment | None = None
    narrative: Narrative | None = None
    evidence: list[Link] | None = Field(default=None, max_length=50)


class Review(RequestBody):
    comment: Comment | None = None


class Rejection(RequestBody):
    comment: Comment


class ProgressUpdateRead(ShowsUsers):
    id: uuid.UUID
    recommendation_id: uuid.UUID
    assessment: Assessment
    narrative: str | None
    evidence: list[str]
    state: UpdateState
    author_id: UserRef
    institution_id: uuid.UUID | None
    submitted_at: dt.datetime | None
    reviewed_by_id: UserRef
    review_comment: InternalText
    validated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, update: ProgressUpdate) -> "ProgressUpdateRead":
        return cls.model_validate(update, from_attributes=True)
