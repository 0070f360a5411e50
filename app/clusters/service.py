"""Clusters: named groups of recommendations; membership changes are audited."""

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_event
from app.auth.principal import Principal
from app.clusters.schemas import ClusterCreate, ClusterUpdate
from app.db import flush_or_conflict, insert_missing
from app.errors import reject_nulls
from app.models.base import utcnow
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.recommendation import Recommendation
from app.pagination import KeysetOrder, PageParams, cursor_text, cursor_uuid, paginate
from app.planning.references import require_existing

BY_NAME = KeysetOrder[Cluster](
    name="name", columns=[Cluster.name, Cluster.id], descending=False,
    key=lambda c: [c.name, c.id], parsers=[cursor_text, cursor_uuid],
)  # fmt: skip


async def member_ids(session: AsyncSession, cluster_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        select(ClusterRecommendation.recommendation_id)
        .where(ClusterRecommendation.cluster_id == cluster_id)
        .order_by(ClusterRecommendation.recommendation_id)
    )
    return list(rows.all())


async def member_counts(
    session: AsyncSession, cluster_ids: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not cluster_ids:
        return {}
    rows = await session.execute(
        select(ClusterRecommendation.cluster_id, func.count())
        .where(ClusterRecommendation.cluster_id.in_(cluster_ids))
        .group_by(ClusterRecommendation.cluster_id)
    )
    return dict(rows.all())


async def create_cluster(session: AsyncSession, data: ClusterCreate, actor: Principal) -> Cluster:
    cluster = Cluster(id=uuid.uuid4(), name=data.name, description=data.description, archived=False)
    session.add(cluster)
    await flush_or_conflict(session)
    changes = {"name": {"before": None, "after": data.name},
               "description": {"before": None, "after": data.description}}  # fmt: skip
    await record_event(session, actor, "create", "cluster", str(cluster.id), changes)
    if data.recommendation_ids:
        await add_members(session, cluster, data.recommendation_ids, actor)
    return cluster


async def update_cluster(
    session: AsyncSession, cluster: Cluster, data: ClusterUpdate, actor: Principal
) -> Cluster:
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "name", "archived")
    changes = {
        field: {"before": getattr(cluster, field), "after": value}
        for field, value in sent.items()
        if getattr(cluster, field) != value
    }
    for field, value in sent.items():
        setattr(cluster, field, value)
    cluster.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(session, actor, "update", "cluster", str(cluster.id), changes)
    return cluster


async def add_members(
    session: AsyncSession, cluster: Cluster, ids: list[uuid.UUID], actor: Principal
) -> int:
    """Add recommendations (those already in stay); one statement, audited as one change."""
    wanted = await require_existing(
        session, Recommendation.id, ids, "recommendation_ids", "recommendation"
    )
    present = set(await member_ids(session, cluster.id))
    rows = [{"cluster_id": cluster.id, "recommendation_id": i} for i in wanted if i not in present]
    # A concurrent writer may add some of these between the read above and this insert.
    new = await insert_missing(
        session, ClusterRecommendation, rows, ClusterRecommendation.recommendation_id
    )
    if new:
        await _touch(session, cluster)
        await record_event(
            session, actor, "add_recommendations", "cluster", str(cluster.id),
            {"recommendation_ids": {"before": None, "after": [str(i) for i in new]}},
        )  # fmt: skip
    return len(new)


async def remove_members(
    session: AsyncSession, cluster: Cluster, ids: list[uuid.UUID], actor: Principal
) -> int:
    wanted = await require_existing(
        session, Recommendation.id, ids, "recommendation_ids", "recommendation"
    )
    present = set(await member_ids(session, cluster.id))
    gone = [i for i in wanted if i in present]
    if gone:
        await session.execute(
            delete(ClusterRecommendation).where(
                ClusterRecommendation.cluster_id == cluster.id,
                ClusterRecommendation.recommendation_id.in_(gone),
            )
        )
        await _touch(session, cluster)
        await record_event(
            session, actor, "remove_recommendations", "cluster", str(cluster.id),
            {"recommendation_ids": {"before": [str(i) for i in gone], "after": None}},
        )  # fmt: skip
    return len(gone)


async def _touch(session: AsyncSession, cluster: Cluster) -> None:
    # Membership is part of the cluster: changing it moves the ETag.
    cluster.updated_at = utcnow()
    await flush_or_conflict(session)


async def list_clusters(
    session: AsyncSession, *, archived: bool, q: str | None, params: PageParams
) -> tuple[list[Cluster], str | None, int | None]:
    stmt = select(Cluster).where(Cluster.archived == archived)
    if q:
        stmt = stmt.where(Cluster.name.icontains(q, autoescape=True))
    return await paginate(session, stmt, BY_NAME, params)


async def first_members(
    session: AsyncSession, cluster_id: uuid.UUID, limit: int
) -> list[tuple[uuid.UUID, str, str | None]]:
    """The first `limit` recommendations of a cluster by symbol and paragraph: id, symbol,
    paragraph (a cluster's page lists them; its whole list is /recommendations?cluster=)."""
    rows = await session.execute(
        select(Recommendation.id, Recommendation.symbol, Recommendation.paragraph)
        .join(ClusterRecommendation, ClusterRecommendation.recommendation_id == Recommendation.id)
        .where(ClusterRecommendation.cluster_id == cluster_id)
        .order_by(Recommendation.symbol, Recommendation.paragraph, Recommendation.id)
        .limit(limit)
    )
    return [(rec_id, symbol, paragraph) for rec_id, symbol, paragraph in rows.all()]
