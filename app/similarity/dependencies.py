from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy import select

from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.models.country import Country


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
