"""Reading what is kept twice beside its source: goal masks, dates on country links, the SDG
tally."""

from collections import Counter

from fastapi import FastAPI
from sqlalchemy import func, select

from app.models.recommendation import (
    Recommendation,
    RecommendationCountry,
    RecommendationSdgGoal,
)
from app.models.sdg_tally import ANY_GOAL, NO_POSITION, SdgGoalTally


async def stored_and_linked_masks(app: FastAPI) -> dict[str, tuple[int, int]]:
    """Each recommendation's stored mask beside the mask its goal links make."""
    link = RecommendationSdgGoal
    from_links = func.coalesce(func.sum(func.power(2, link.goal_number - 1)), 0)
    stmt = (
        select(Recommendation.id, Recommendation.sdg_goal_mask, from_links)
        .outerjoin(link, link.recommendation_id == Recommendation.id)
        .group_by(Recommendation.id, Recommendation.sdg_goal_mask)
    )
    async with app.state.sessionmaker() as session:
        rows = (await session.execute(stmt)).all()
    return {str(rec_id): (stored, int(linked)) for rec_id, stored, linked in rows}


async def link_dates(app: FastAPI) -> list[tuple[str, str, str]]:
    """(recommendation, its date, the date on one of its country links), per link."""
    link = RecommendationCountry
    stmt = select(Recommendation.id, Recommendation.publication_date, link.publication_date).join(
        link, link.recommendation_id == Recommendation.id
    )
    async with app.state.sessionmaker() as session:
        rows = (await session.execute(stmt)).all()
    return [(str(rec_id), str(own), str(copied)) for rec_id, own, copied in rows]


Tally = dict[tuple[int, str, str], int]


async def tally_beside_recount(app: FastAPI) -> tuple[Tally, Tally]:
    """The SDG tally the triggers keep, beside the same figures recounted from recommendations:
    (goal, status, UPR position) -> recommendations, goal 0 for any goal, zeros left out."""
    async with app.state.sessionmaker() as session:
        kept = (await session.execute(select(SdgGoalTally))).scalars().all()
        recs = (
            await session.execute(
                select(
                    Recommendation.status,
                    Recommendation.upr_position,
                    Recommendation.sdg_goal_mask,
                ).where(Recommendation.archived.is_(False), Recommendation.sdg_goal_mask != 0)
            )
        ).all()
    tally = {(t.goal, str(t.status), t.upr_position): t.recommendations for t in kept}
    recount: Tally = Counter()
    for status, position, mask in recs:
        where = (str(status), str(position) if position else NO_POSITION)
        recount[(ANY_GOAL, *where)] += 1
        for goal in range(1, 18):
            if mask & (1 << (goal - 1)):
                recount[(goal, *where)] += 1
    return {k: v for k, v in tally.items() if v}, dict(recount)
