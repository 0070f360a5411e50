import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from app.json_types import RequestBody
from app.models.cluster import Cluster

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
MAX_BULK = 10_000
RecommendationIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=MAX_BULK)]


class ClusterCreate(RequestBody):
    name: Name
    description: Description | None = None
    recommendation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_BULK)


class ClusterUpdate(RequestBody):
    name: Name | None = None
    description: Description | None = None
    archived: StrictBool | None = None


class ClusterMembers(RequestBody):
    recommendation_ids: RecommendationIds


class ClusterRead(BaseModel):
    id: uuid.UUID
    name: str
    description: str | None
    archived: bool
    recommendations_count: int
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, cluster: Cluster, count: int) -> "ClusterRead":
        return cls(
            id=cluster.id, name=cluster.name, description=cluster.description,
            archived=cluster.archived, recommendations_count=count,
            created_at=cluster.created_at, updated_at=cluster.updated_at, version=cluster.version,
        )  # fmt: skip


class ClusterDetail(ClusterRead):
    recommendation_ids: list[uuid.UUID]
