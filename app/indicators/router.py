"""Indicators and measurements (DESIGN §2)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.dependencies import CurrentPrincipal, requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.indicators import service
from app.indicators.dependencies import (
    IndicatorDep,
    MatchedIndicatorDep,
    MatchedMeasurementDep,
    MeasurementDep,
)
from app.indicators.schemas import (
    IndicatorCreate,
    IndicatorRead,
    IndicatorUpdate,
    MeasurementCreate,
    MeasurementRead,
    MeasurementUpdate,
)
from app.models.indicator import Indicator
from app.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/indicators", tags=["indicators"], responses=problem_responses(400, 401, 422)
)
Planner = Annotated[Principal, requires(Permission.plan)]


async def _read(session: SessionDep, indicator: Indicator) -> IndicatorRead:
    linked = await service.links(session, [indicator.id])
    latest = await service.latest_measurements(session, [indicator.id])
    return IndicatorRead.build(indicator, linked[indicator.id], latest.get(indicator.id))


@router.get("", summary="List indicators, with their latest value and progress")
async def list_indicators(
    session: SessionDep,
    page: PageParamsDep,
    recommendation: uuid.UUID | None = None,
    action: uuid.UUID | None = None,
    sdg_indicator: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[IndicatorRead]:
    found, next_cursor, total = await service.list_indicators(
        session, recommendation=recommendation, action=action, sdg_indicator=sdg_indicator,
        params=page,
    )  # fmt: skip
    ids = [i.id for i in found]
    linked = await service.links(session, ids)
    latest = await service.latest_measurements(session, ids)
    items = [IndicatorRead.build(i, linked[i.id], latest.get(i.id)) for i in found]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post("", status_code=201, summary="Define an indicator", responses=problem_responses(403))
async def create_indicator(
    session: SessionDep, actor: Planner, data: IndicatorCreate, request: Request, response: Response
) -> IndicatorRead:
    indicator = await service.create_indicator(session, data, actor)
    response.headers["ETag"] = etag_for(indicator.version)
    response.headers["Location"] = str(request.url_for("get_indicator", indicator_id=indicator.id))
    return await _read(session, indicator)


@router.get("/{indicator_id:uuid}", summary="One indicator", responses=problem_responses(404))
async def get_indicator(
    session: SessionDep, indicator: IndicatorDep, response: Response
) -> IndicatorRead:
    response.headers["ETag"] = etag_for(indicator.version)
    return await _read(session, indicator)


@router.patch(
    "/{indicator_id:uuid}",
    summary="Change an indicator (needs If-Match)",
    responses=problem_responses(403, 404, 412, 428),
)
async def update_indicator(
    session: SessionDep, actor: Planner, indicator: MatchedIndicatorDep, data: IndicatorUpdate,
    response: Response,
) -> IndicatorRead:  # fmt: skip
    updated = await service.update_indicator(session, indicator, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return await _read(session, updated)


@router.post(
    "/{indicator_id:uuid}/measurements",
    status_code=201,
    summary="Record a measurement, dated today or earlier (focal points: where their "
    "institution is assigned to every recommendation measured)",
    responses=problem_responses(403, 404),
)
async def add_measurement(
    session: SessionDep,
    actor: Annotated[Principal, requires(Permission.report_progress)],
    indicator: IndicatorDep,
    data: MeasurementCreate,
    request: Request,
    response: Response,
) -> MeasurementRead:
    measurement = await service.add_measurement(session, indicator, data, actor)
    response.headers["ETag"] = etag_for(measurement.version)
    response.headers["Location"] = str(
        request.url_for("get_measurement", indicator_id=indicator.id, measurement_id=measurement.id)
    )
    return MeasurementRead.build(measurement)


_ONE = "/{indicator_id:uuid}/measurements/{measurement_id:uuid}"


@router.get(_ONE, summary="One measurement", responses=problem_responses(404))
async def get_measurement(measurement: MeasurementDep, response: Response) -> MeasurementRead:
    response.headers["ETag"] = etag_for(measurement.version)
    return MeasurementRead.build(measurement)


@router.patch(
    _ONE,
    summary="Correct a measurement (coordinators; needs If-Match; audited)",
    responses=problem_responses(403, 404, 412, 428),
)
async def correct_measurement(
    session: SessionDep, actor: Planner, measurement: MatchedMeasurementDep,
    data: MeasurementUpdate, response: Response,
) -> MeasurementRead:  # fmt: skip
    corrected = await service.correct_measurement(session, measurement, data, actor)
    response.headers["ETag"] = etag_for(corrected.version)
    return MeasurementRead.build(corrected)


@router.delete(
    _ONE,
    status_code=204,
    summary="Delete a wrong measurement (coordinators; needs If-Match; the audit trail keeps it)",
    responses=problem_responses(403, 404, 412, 428),
)
async def delete_measurement(
    session: SessionDep, actor: Planner, measurement: MatchedMeasurementDep
) -> Response:
    await service.delete_measurement(session, measurement, actor)
    return Response(status_code=204)


@router.get(
    "/{indicator_id:uuid}/measurements",
    summary="An indicator's measurements, oldest first",
    responses=problem_responses(404),
)
async def list_measurements(
    session: SessionDep, principal: CurrentPrincipal, indicator: IndicatorDep, page: PageParamsDep
) -> Page[MeasurementRead]:
    found, next_cursor, total = await service.list_measurements(session, indicator.id, page)
    items = [MeasurementRead.build(m).seen_by(principal) for m in found]
    return Page(items=items, next_cursor=next_cursor, total=total)
