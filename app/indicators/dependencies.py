import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.indicator import Indicator, Measurement


async def indicator_by_id(session: SessionDep, indicator_id: uuid.UUID) -> Indicator:
    indicator = await session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(f"There is no indicator {indicator_id}.")
    return indicator


IndicatorDep = Annotated[Indicator, Depends(indicator_by_id)]
MatchedIndicatorDep = Annotated[Indicator, if_matched(indicator_by_id)]


async def measurement_by_id(
    session: SessionDep, indicator_id: uuid.UUID, measurement_id: uuid.UUID
) -> Measurement:
    measurement = await session.get(Measurement, measurement_id)
    if measurement is None or measurement.indicator_id != indicator_id:
        raise NotFound(f"Indicator {indicator_id} has no measurement {measurement_id}.")
    return measurement


MeasurementDep = Annotated[Measurement, Depends(measurement_by_id)]
MatchedMeasurementDep = Annotated[Measurement, if_matched(measurement_by_id)]
