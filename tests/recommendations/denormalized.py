"""Reading what is kept in two places beside its source: goal masks, dates on country links."""

from fastapi import FastAPI
from sqlalchemy import func, select

from app.models.recommendation import (
    Recommendation,
    RecommendationCountry,
    RecommendationSdgGoal,
)


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
