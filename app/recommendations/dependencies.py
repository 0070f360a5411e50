"""Fetch-or-404 and If-Match checks for recommendation routes."""

import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.recommendation import Recommendation
from app.recommendations import service


async def recommendation_by_id(session: SessionDep, recommendation_id: uuid.UUID) -> Recommendation:
    rec = await service.get_recommendation(session, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    return rec


RecommendationDep = Annotated[Recommendation, Depends(recommendation_by_id)]


MatchedRecommendationDep = Annotated[Recommendation, if_matched(recommendation_by_id)]
