import uuid
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import select

from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.models.country import Country
from app.models.recommendation import Recommendation


async def known_country(
    session: SessionDep,
    country: Annotated[
        str, Query(min_length=3, max_length=3, description="ISO3 code of the State, e.g. KEN")
    ],
) -> str:
    iso3 = country.upper()
    if await session.scalar(select(Country.iso3).where(Country.iso3 == iso3)) is None:
        raise UnprocessableEntity.for_field(
            "query.country", f"unknown country: {country}", "unknown"
        )
    return iso3


CountryDep = Annotated[str, Depends(known_country)]


def threshold(
    request: Request,
    min_score: Annotated[
        float | None,
        Query(gt=0, le=1, description="Least similarity to report (default: the configured one)"),
    ] = None,
) -> float:
    default: float = request.app.state.settings.duplicate_threshold
    return min_score if min_score is not None else default


ThresholdDep = Annotated[float, Depends(threshold)]


async def recommendation_columns(
    session: SessionDep, recommendation_id: uuid.UUID
) -> Recommendation:
    """The recommendation's own columns (text, archived), or 404: all /similar needs, without
    the tags, links and clusters that RecommendationDep loads for a full read."""
    rec = await session.get(Recommendation, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    return rec


RecommendationColumnsDep = Annotated[Recommendation, Depends(recommendation_columns)]
