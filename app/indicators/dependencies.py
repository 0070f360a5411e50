import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.indicator import Indicator


async def indicator_by_id(session: SessionDep, indicator_id: uuid.UUID) -> Indicator:
    indicator = await session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(f"There is no indicator {indicator_id}.")
    return indicator


IndicatorDep = Annotated[Indicator, Depends(indicator_by_id)]
MatchedIndicatorDep = Annotated[Indicator, if_matched(indicator_by_id)]
