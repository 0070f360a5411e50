"""Reading Recommendation.sdg_goal_mask beside the mask its goal links make."""

from fastapi import FastAPI
from sqlalchemy import func, select

from app.models.recommendation import Recommendation, RecommendationSdgGoal


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
