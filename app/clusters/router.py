"""Clusters of recommendations (DESIGN §2, NMRF planning)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clusters import service
from app.clusters.dependencies import ClusterDep, MatchedClusterDep
from app.clusters.schemas import (
    ClusterCreate,
    ClusterDetail,
    ClusterMembers,
    ClusterRead,
    ClusterUpdate,
)
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.models.cluster import Cluster
from app.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/clusters", tags=["clusters"], responses=problem_responses(400, 401, 422)
)
Planner = Annotated[Principal, requires(Permission.plan)]


async def _detail(session: SessionDep, cluster: Cluster, response: Response) -> ClusterDetail:
    ids = await service.member_ids(session, cluster.id)
    response.headers["ETag"] = etag_for(cluster.version)
    return ClusterDetail(
        **ClusterRead.build(cluster, len(ids)).model_dump(), recommendation_ids=ids
    )


@router.get("", summary="List clusters")
async def list_clusters(
    session: SessionDep,
    page: PageParamsDep,
    archived: bool = False,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
) -> Page[ClusterRead]:
    clusters, next_cursor, total = await service.list_clusters(
        session, archived=archived, q=q, params=page
    )
    counts = await service.member_counts(session, [c.id for c in clusters])
    items = [ClusterRead.build(c, counts.get(c.id, 0)) for c in clusters]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post("", status_code=201, summary="Create a cluster", responses=problem_responses(403))
async def create_cluster(
    session: SessionDep, actor: Planner, data: ClusterCreate, request: Request, response: Response
) -> ClusterDetail:
    cluster = await service.create_cluster(session, data, actor)
    response.headers["Location"] = str(request.url_for("get_cluster", cluster_id=cluster.id))
    return await _detail(session, cluster, response)


@router.get(
    "/{cluster_id:uuid}",
    summary="One cluster, with its recommendations",
    responses=problem_responses(404),
)
async def get_cluster(
    session: SessionDep, cluster: ClusterDep, response: Response
) -> ClusterDetail:
    return await _detail(session, cluster, response)


@router.patch(
    "/{cluster_id:uuid}",
    summary="Rename, describe or archive a cluster (needs If-Match)",
    responses=problem_responses(403, 404, 412, 428),
)
async def update_cluster(
    session: SessionDep,
    actor: Planner,
    cluster: MatchedClusterDep,
    data: ClusterUpdate,
    response: Response,
) -> ClusterDetail:
    updated = await service.update_cluster(session, cluster, data, actor)
    return await _detail(session, updated, response)


@router.delete(
    "/{cluster_id:uuid}",
    status_code=204,
    summary="Archive a cluster (needs If-Match)",
    responses=problem_responses(403, 404, 412, 428),
)
async def archive_cluster(
    session: SessionDep, actor: Planner, cluster: MatchedClusterDep
) -> Response:
    await service.update_cluster(session, cluster, ClusterUpdate(archived=True), actor)
    return Response(status_code=204)


@router.post(
    "/{cluster_id:uuid}/recommendations",
    summary="Add recommendations to a cluster (one transaction; unknown ids refuse it all)",
    responses=problem_responses(403, 404),
)
async def add_recommendations(
    session: SessionDep,
    actor: Planner,
    cluster: ClusterDep,
    data: ClusterMembers,
    response: Response,
) -> ClusterDetail:
    await service.add_members(session, cluster, data.recommendation_ids, actor)
    return await _detail(session, cluster, response)


@router.delete(
    "/{cluster_id:uuid}/recommendations",
    summary="Take recommendations out of a cluster (one transaction)",
    responses=problem_responses(403, 404),
)
async def remove_recommendations(
    session: SessionDep,
    actor: Planner,
    cluster: ClusterDep,
    data: ClusterMembers,
    response: Response,
) -> ClusterDetail:
    await service.remove_members(session, cluster, data.recommendation_ids, actor)
    return await _detail(session, cluster, response)
