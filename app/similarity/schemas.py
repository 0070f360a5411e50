import uuid

from pydantic import BaseModel, Field

from app.json_types import RequestBody
from app.progress_updates.schemas import ProgressUpdateRead


class Similar(BaseModel):
    id: uuid.UUID
    score: float = Field(description="Jaccard similarity of the two texts' character shingles")


class DuplicateGroup(BaseModel):
    recommendation_ids: list[uuid.UUID]
    score: float = Field(description="The best similarity between two of its recommendations")
    linked: bool = Field(description="A coordinator has linked them all as duplicates already")


class Duplicates(BaseModel):
    country: str
    threshold: float
    groups: list[DuplicateGroup]


class LinkedDuplicates(BaseModel):
    """The recommendations a coordinator linked as duplicates of this one."""

    group_id: uuid.UUID | None
    recommendation_ids: list[uuid.UUID]


# Recommendations one link call takes (the page links a larger group in steps of this).
MAX_LINKED = 100


class LinkRequest(RequestBody):
    recommendation_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_LINKED)


class ApplyRequest(RequestBody):
    validate_copies: bool = Field(
        default=True,
        alias="validate",
        description="Validate the copies at once (needs the right to validate); false submits "
        "them for validation instead",
    )


class Applied(BaseModel):
    created: list[ProgressUpdateRead]
