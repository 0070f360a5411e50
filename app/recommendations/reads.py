"""Read models for pages of recommendations: tags fetched as plain rows, one query per kind.

Loading them as ORM objects (selectinload) built some ten objects per recommendation and
dominated the cost of a page; these queries return tuples and nothing else.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import Language
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.mechanism import Mechanism
from app.models.recommendation import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    RecommendationTheme,
    RecommendingState,
)
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations.schemas import RecommendationRead, Tags


async def _grouped(session: AsyncSession, stmt: Executable) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for rec_id, *values in (await session.execute(stmt)).all():
        grouped[rec_id].append(values[0] if len(values) == 1 else tuple(values))
    return grouped


async def read_models(
    session: AsyncSession, recs: Sequence[Recommendation], lang: Language
) -> list[RecommendationRead]:
    if not recs:
        return []
    ids = [rec.id for rec in recs]
    countries = await _grouped(
        session,
        select(RecommendationCountry.recommendation_id, RecommendationCountry.country_iso3).where(
            RecommendationCountry.recommendation_id.in_(ids)
        ),
    )
    states = await _grouped(
        session,
        select(RecommendingState.recommendation_id, RecommendingState.name).where(
            RecommendingState.recommendation_id.in_(ids)
        ),
    )
    themes = await _grouped(
        session,
        select(RecommendationTheme.recommendation_id, Theme.id, Theme.name)
        .join(Theme, Theme.id == RecommendationTheme.theme_id)
        .where(RecommendationTheme.recommendation_id.in_(ids)),
    )
    groups = await _grouped(
        session,
        select(
            RecommendationAffectedPerson.recommendation_id, AffectedPerson.id, AffectedPerson.name
        )
        .join(AffectedPerson, AffectedPerson.id == RecommendationAffectedPerson.affected_person_id)
        .where(RecommendationAffectedPerson.recommendation_id.in_(ids)),
    )
    goals = await _grouped(
        session,
        select(RecommendationSdgGoal.recommendation_id, RecommendationSdgGoal.goal_number).where(
            RecommendationSdgGoal.recommendation_id.in_(ids)
        ),
    )
    targets = await _grouped(
        session,
        select(
            RecommendationSdgTarget.recommendation_id, RecommendationSdgTarget.target_code
        ).where(RecommendationSdgTarget.recommendation_id.in_(ids)),
    )
    clusters = await _grouped(
        session,
        select(ClusterRecommendation.recommendation_id, Cluster.id, Cluster.name)
        .join(Cluster, Cluster.id == ClusterRecommendation.cluster_id)
        .where(ClusterRecommendation.recommendation_id.in_(ids), Cluster.archived.is_(False)),
    )
    mechanism_ids = {rec.mechanism_id for rec in recs}
    mechanisms = {
        m.id: m
        for m in (
            await session.scalars(select(Mechanism).where(Mechanism.id.in_(mechanism_ids)))
        ).all()
    }
    return [
        RecommendationRead.assemble(
            rec,
            mechanisms[rec.mechanism_id],
            Tags(
                countries=countries[rec.id],
                recommending_states=states[rec.id],
                themes=themes[rec.id],
                affected_persons=groups[rec.id],
                sdg_goals=goals[rec.id],
                sdg_targets=targets[rec.id],
                clusters=clusters[rec.id],
            ),
            lang,
        )
        for rec in recs
    ]
