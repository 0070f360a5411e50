import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.cluster import Cluster


async def cluster_by_id(session: SessionDep, cluster_id: uuid.UUID) -> Cluster:
    cluster = await session.get(Cluster, cluster_id)
    if cluster is None:
        raise NotFound(f"There is no cluster {cluster_id}.")
    return cluster


ClusterDep = Annotated[Cluster, Depends(cluster_by_id)]
MatchedClusterDep = Annotated[Cluster, if_matched(cluster_by_id)]
