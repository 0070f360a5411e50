"""Fetch-or-404 and If-Match checks for recommendation routes."""

import uuid
from typing import Annotated

from fastapi import Depends, Header

from app.db import SessionDep
from app.errors import NotFound
from app.etag import check_if_match, etag_for
from app.models.recommendation import Recommendation
from app.recommendations import service


async def recommendation_by_id(session: SessionDep, recommendation_id: uuid.UUID) -> Recommendation:
    rec = await service.get_recommendation(session, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    return rec


RecommendationDep = Annotated[Recommendation, Depends(recommendation_by_id)]


async def recommendation_if_match(
    rec: RecommendationDep,
    if_match: Annotated[
        str | None, Header(description="The ETag last read; required to change the resource.")
    ] = None,
) -> Recommendation:
    check_if_match(if_match, etag_for(rec.version))
    return rec


MatchedRecommendationDep = Annotated[Recommendation, Depends(recommendation_if_match)]
