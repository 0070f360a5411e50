import datetime as dt
import math
import uuid
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.auth.visibility import ShowsUsers, UserRef
from app.json_types import IsoDate, RequestBody
from app.models.indicator import Direction, Indicator, Measurement

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
LongText = Annotated[str, StringConstraints(max_length=5_000)]
SdgIndicator = Annotated[str, StringConstraints(pattern=r"^\d{1,2}\.[0-9a-z]{1,2}\.\d{1,2}$")]
# Strict: JSON true is not 1, and "3" is not 3.
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class IndicatorCreate(RequestBody):
    name: Name
    unit: Short | None = None
    baseline: Number | None = None
    baseline_date: IsoDate | None = None
    target: Number | None = None
    target_date: IsoDate | None = None
    direction: Direction = Direction.increase
    sdg_indicator: SdgIndicator | None = None
    source: LongText | None = None
    recommendation_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)
    action_ids: list[uuid.UUID] = Field(default_factory=list, max_length=10_000)


class IndicatorUpdate(RequestBody):
    name: Name | None = None
    unit: Short | None = None
    baseline: Number | None = None
    baseline_date: IsoDate | None = None
    target: Number | None = None
    target_date: IsoDate | None = None
    direction: Direction | None = None
    sdg_indicator: SdgIndicator | None = None
    source: LongText | None = None
    recommendation_ids: list[uuid.UUID] | None = Field(default=None, max_length=10_000)
    action_ids: list[uuid.UUID] | None = Field(default=None, max_length=10_000)


class MeasurementCreate(RequestBody):
    date: IsoDate
    value: Number
    note: LongText | None = None
    source: LongText | None = None


class MeasurementUpdate(RequestBody):
    date: IsoDate | None = None
    value: Number | None = None
    note: LongText | None = None
    source: LongText | None = None


class MeasurementRead(ShowsUsers):
    id: uuid.UUID
    indicator_id: uuid.UUID
    date: dt.date
    value: float
    note: str | None
    source: str | None
    created_by_id: UserRef
    created_at: dt.datetime
    updated_at: dt.datetime | None
    version: int

    @classmethod
    def build(cls, measurement: Measurement) -> "MeasurementRead":
        return cls.model_validate(measurement, from_attributes=True)


def progress(baseline: float | None, target: float | None, latest: float | None) -> float | None:
    """(latest − baseline) / (target − baseline), clamped to [0, 1]; None when not computable."""
    if baseline is None or target is None or latest is None or target == baseline:
        return None
    share = (latest - baseline) / (target - baseline)
    return None if math.isnan(share) else min(1.0, max(0.0, share))


class IndicatorRead(BaseModel):
    id: uuid.UUID
    name: str
    unit: str | None
    baseline: float | None
    baseline_date: dt.date | None
    target: float | None
    target_date: dt.date | None
    direction: Direction
    sdg_indicator: str | None
    source: str | None
    recommendation_ids: list[uuid.UUID]
    action_ids: list[uuid.UUID]
    latest_value: float | None = Field(
        description="The value of the measurement with the latest date"
    )
    latest_date: dt.date | None
    progress: float | None = Field(
        description="(latest − baseline)/(target − baseline) clamped to [0, 1]; null when target "
        "equals baseline or nothing is measured"
    )
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(
        cls,
        indicator: Indicator,
        links: tuple[list[uuid.UUID], list[uuid.UUID]],
        latest: tuple[dt.date, float] | None,
    ) -> "IndicatorRead":
        latest_date, latest_value = latest if latest else (None, None)
        return cls(
            id=indicator.id, name=indicator.name, unit=indicator.unit,
            baseline=indicator.baseline, baseline_date=indicator.baseline_date,
            target=indicator.target, target_date=indicator.target_date,
            direction=indicator.direction, sdg_indicator=indicator.sdg_indicator,
            source=indicator.source, recommendation_ids=links[0], action_ids=links[1],
            latest_value=latest_value, latest_date=latest_date,
            progress=progress(indicator.baseline, indicator.target, latest_value),
            created_at=indicator.created_at, updated_at=indicator.updated_at,
            version=indicator.version,
        )  # fmt: skip
