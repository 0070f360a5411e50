"""Near-duplicates (DESIGN §12): found by the index, linked by coordinators, progress applied
to a group in one step."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.progress_updates.dependencies import ProgressUpdateDep
from app.progress_updates.schemas import ProgressUpdateRead
from app.recommendations.dependencies import RecommendationDep
from app.similarity import service
from app.similarity.dependencies import CountryDep, RecommendationColumnsDep, ThresholdDep
from app.similarity.schemas import (
    Applied,
    ApplyRequest,
    DuplicateGroup,
    Duplicates,
    LinkedDuplicates,
    LinkRequest,
    Similar,
)

router = APIRouter(tags=["near-duplicates"], responses=problem_responses(400, 401, 422))
Planner = Annotated[Principal, requires(Permission.plan)]
Limit = Annotated[int, Query(ge=1, le=100, description="How many at most")]


@router.get(
    "/recommendations/{recommendation_id:uuid}/similar",
    summary="Near-duplicates of a recommendation (same State, any cycle, mechanism), best first",
    responses=problem_responses(404),
)
async def similar_recommendations(
    session: SessionDep, rec: RecommendationColumnsDep, min_score: ThresholdDep, limit: Limit = 20
) -> list[Similar]:
    if rec.archived:
        return []
    found = await service.similar(session, rec, threshold=min_score, limit=limit)
    return [Similar(id=rec_id, score=score) for rec_id, score in found]


@router.get("/duplicates", summary="Groups of near-duplicates among a State's recommendations")
async def duplicates(
    session: SessionDep, country: CountryDep, min_score: ThresholdDep, limit: Limit = 100
) -> Duplicates:
    groups = await service.duplicates_for_country(
        session, country, threshold=min_score, limit=limit
    )
    linked = await service.linked_groups(session, [i for g in groups for i in g.recommendation_ids])
    return Duplicates(
        country=country,
        threshold=min_score,
        groups=[
            DuplicateGroup(
                recommendation_ids=g.recommendation_ids,
                score=g.score,
                linked=len({linked.get(i) for i in g.recommendation_ids}) == 1
                and linked.get(g.recommendation_ids[0]) is not None,
            )
            for g in groups
        ],
    )


async def _linked(session: SessionDep, rec_id: uuid.UUID) -> LinkedDuplicates:
    group_id, others = await service.group_of(session, rec_id)
    return LinkedDuplicates(group_id=group_id, recommendation_ids=others)


@router.get(
    "/recommendations/{recommendation_id:uuid}/duplicates",
    summary="The recommendations linked as duplicates of this one",
    responses=problem_responses(404),
)
async def linked_duplicates(session: SessionDep, rec: RecommendationDep) -> LinkedDuplicates:
    return await _linked(session, rec.id)


@router.post(
    "/recommendations/{recommendation_id:uuid}/duplicates",
    summary="Link recommendations as duplicates of this one (their groups merge into one)",
    responses=problem_responses(403, 404),
)
async def link_duplicates(
    session: SessionDep, actor: Planner, rec: RecommendationDep, data: LinkRequest
) -> LinkedDuplicates:
    await service.link(session, rec.id, data.recommendation_ids, actor)
    return await _linked(session, rec.id)


@router.delete(
    "/recommendations/{recommendation_id:uuid}/duplicates/{other_id:uuid}",
    summary="Take a recommendation out of this one's group of duplicates",
    responses=problem_responses(403, 404),
)
async def unlink_duplicate(
    session: SessionDep, actor: Planner, rec: RecommendationDep, other_id: uuid.UUID
) -> LinkedDuplicates:
    await service.unlink(session, rec.id, other_id, actor)
    return await _linked(session, rec.id)


@router.post(
    "/progress-updates/{update_id:uuid}/apply-to-duplicates",
    summary="Copy a validated update to the other recommendations of its group of duplicates",
    responses=problem_responses(403, 404, 409),
)
async def apply_to_duplicates(
    session: SessionDep, actor: Planner, update: ProgressUpdateDep, data: ApplyRequest
) -> Applied:
    copies = await service.apply_to_group(session, update, actor, validate=data.validate_copies)
    return Applied(created=[ProgressUpdateRead.build(c) for c in copies])
