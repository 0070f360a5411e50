"""Indicators and their measurements; latest values come from SQL, not from loading them all."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import CompoundSelect, delete, func, insert, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event, diff, record_event, record_events
from app.auth.principal import Principal
from app.clock import today
from app.db import flush_or_conflict
from app.errors import AppError, Forbidden, UnprocessableEntity, reject_nulls
from app.indicators.schemas import (
    IndicatorCreate,
    IndicatorUpdate,
    MeasurementCreate,
    MeasurementUpdate,
)
from app.models.action import Action, ActionRecommendation
from app.models.assignment import Assignment
from app.models.base import utcnow
from app.models.indicator import Indicator, IndicatorAction, IndicatorRecommendation, Measurement
from app.models.recommendation import Recommendation
from app.models.user import Role
from app.pagination import KeysetOrder, PageParams, cursor_date, cursor_text, cursor_uuid, paginate
from app.planning.access import require_assigned_to_every
from app.planning.references import require_existing

BY_NAME = KeysetOrder[Indicator](
    name="indicators", columns=[Indicator.name, Indicator.id], descending=False,
    key=lambda i: [i.name, i.id], parsers=[cursor_text, cursor_uuid],
)  # fmt: skip
BY_DATE = KeysetOrder[Measurement](
    name="measurements", columns=[Measurement.date, Measurement.id], descending=False,
    key=lambda m: [m.date, m.id], parsers=[cursor_date, cursor_uuid],
)  # fmt: skip
Links = tuple[list[uuid.UUID], list[uuid.UUID]]


async def links(session: AsyncSession, indicator_ids: list[uuid.UUID]) -> dict[uuid.UUID, Links]:
    found: dict[uuid.UUID, Links] = defaultdict(lambda: ([], []))
    if not indicator_ids:
        return found
    for model, column, slot in (
        (IndicatorRecommendation, IndicatorRecommendation.recommendation_id, 0),
        (IndicatorAction, IndicatorAction.action_id, 1),
    ):
        rows = await session.execute(
            select(model.indicator_id, column)
            .where(model.indicator_id.in_(indicator_ids))
            .order_by(column)
        )
        for indicator_id, linked_id in rows.all():
            found[indicator_id][slot].append(linked_id)
    return found


async def latest_measurements(
    session: AsyncSession, indicator_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[dt.date, float]]:
    """Each indicator's measurement with the latest date (the latest recorded, on a tie)."""
    if not indicator_ids:
        return {}
    ranked = (
        select(
            Measurement.indicator_id,
            Measurement.date,
            Measurement.value,
            func.row_number()
            .over(
                partition_by=Measurement.indicator_id,
                order_by=(Measurement.date.desc(), Measurement.created_at.desc()),
            )
            .label("position"),
        )
        .where(Measurement.indicator_id.in_(indicator_ids))
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.indicator_id, ranked.c.date, ranked.c.value).where(ranked.c.position == 1)
    )
    return {indicator_id: (date, value) for indicator_id, date, value in rows.all()}


def _audit_view(indicator: Indicator, linked: Links) -> dict[str, Any]:
    view = {
        column: getattr(indicator, column)
        for column in ("name", "unit", "baseline", "baseline_date", "target", "target_date",
                       "direction", "sdg_indicator", "source")
    }  # fmt: skip
    for key in ("baseline_date", "target_date"):
        view[key] = view[key].isoformat() if view[key] else None
    view["direction"] = str(view["direction"])
    view["recommendation_ids"] = [str(i) for i in linked[0]]
    view["action_ids"] = [str(i) for i in linked[1]]
    return view


async def _link(
    session: AsyncSession, indicator_id: uuid.UUID, rec_ids: list[uuid.UUID] | None,
    action_ids: list[uuid.UUID] | None,
) -> None:  # fmt: skip
    if rec_ids is not None:
        ids = await require_existing(
            session, Recommendation.id, rec_ids, "recommendation_ids", "recommendation"
        )
        await session.execute(
            delete(IndicatorRecommendation).where(
                IndicatorRecommendation.indicator_id == indicator_id
            )
        )
        if ids:
            await session.execute(
                insert(IndicatorRecommendation),
                [{"indicator_id": indicator_id, "recommendation_id": i} for i in ids],
            )
    if action_ids is not None:
        ids = await require_existing(session, Action.id, action_ids, "action_ids", "action")
        await session.execute(
            delete(IndicatorAction).where(IndicatorAction.indicator_id == indicator_id)
        )
        if ids:
            await session.execute(
                insert(IndicatorAction),
                [{"indicator_id": indicator_id, "action_id": i} for i in ids],
            )


async def create_indicator(
    session: AsyncSession, data: IndicatorCreate, actor: Principal
) -> Indicator:
    indicator = Indicator(
        id=uuid.uuid4(), **data.model_dump(exclude={"recommendation_ids", "action_ids"})
    )
    session.add(indicator)
    await flush_or_conflict(session)
    await _link(session, indicator.id, data.recommendation_ids, data.action_ids)
    linked = (await links(session, [indicator.id]))[indicator.id]
    await record_event(
        session,
        actor,
        "create",
        "indicator",
        str(indicator.id),
        diff({}, _audit_view(indicator, linked)),
    )
    return indicator


async def update_indicator(
    session: AsyncSession, indicator: Indicator, data: IndicatorUpdate, actor: Principal
) -> Indicator:
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "name", "direction")
    before = _audit_view(indicator, (await links(session, [indicator.id]))[indicator.id])
    for field, value in sent.items():
        if field not in ("recommendation_ids", "action_ids"):
            setattr(indicator, field, value)
    indicator.updated_at = utcnow()
    await _link(session, indicator.id, data.recommendation_ids, data.action_ids)
    await flush_or_conflict(session)
    after = _audit_view(indicator, (await links(session, [indicator.id]))[indicator.id])
    await record_event(
        session, actor, "update", "indicator", str(indicator.id), diff(before, after)
    )
    return indicator


def measured_recommendations(indicator_id: uuid.UUID) -> CompoundSelect[Any]:
    """The recommendations an indicator measures: its own, and those of its actions."""
    return union(
        select(IndicatorRecommendation.recommendation_id).where(
            IndicatorRecommendation.indicator_id == indicator_id
        ),
        select(ActionRecommendation.recommendation_id)
        .join(IndicatorAction, IndicatorAction.action_id == ActionRecommendation.action_id)
        .where(IndicatorAction.indicator_id == indicator_id),
    )


def _not_in_the_future(date: dt.date) -> None:
    if date > today():
        raise UnprocessableEntity.for_field(
            "body.date", f"{date} is in the future (today is {today()} in the NMRF's time zone)",
            "future_date",
        )  # fmt: skip


def _measurement_view(measurement: Measurement) -> dict[str, Any]:
    return {"date": measurement.date.isoformat(), "value": measurement.value,
            "note": measurement.note, "source": measurement.source}  # fmt: skip


async def add_measurement(
    session: AsyncSession, indicator: Indicator, data: MeasurementCreate, actor: Principal
) -> Measurement:
    """A focal point measures an indicator when its institution is assigned to every
    recommendation the indicator measures (DESIGN §6); nobody measures the future."""
    await require_assigned_to_every(session, actor, measured_recommendations(indicator.id))
    _not_in_the_future(data.date)
    measurement = Measurement(
        id=uuid.uuid4(), indicator_id=indicator.id, created_by_id=actor.user.id,
        created_at=utcnow(), **data.model_dump(),
    )  # fmt: skip
    session.add(measurement)
    await flush_or_conflict(session)
    await record_event(session, actor, "measure", "indicator", str(indicator.id), _measured(data))
    return measurement


def _measured(data: MeasurementCreate) -> dict[str, Any]:
    return {"date": {"before": None, "after": data.date.isoformat()},
            "value": {"before": None, "after": data.value}}  # fmt: skip


async def _measurable(
    session: AsyncSession, actor: Principal, indicator_ids: set[uuid.UUID]
) -> set[uuid.UUID]:
    """Of these indicators, those the caller may measure: require_assigned_to_every's rule
    (every recommendation measured, and at least one, assigned to its institution), at once."""
    if actor.role in (Role.admin, Role.coordinator):
        return indicator_ids
    if actor.institution_id is None or not indicator_ids:
        return set()
    pairs = union(
        select(
            IndicatorRecommendation.indicator_id.label("indicator_id"),
            IndicatorRecommendation.recommendation_id.label("recommendation_id"),
        ).where(IndicatorRecommendation.indicator_id.in_(indicator_ids)),
        select(IndicatorAction.indicator_id, ActionRecommendation.recommendation_id)
        .join(ActionRecommendation, ActionRecommendation.action_id == IndicatorAction.action_id)
        .where(IndicatorAction.indicator_id.in_(indicator_ids)),
    ).subquery()
    assigned = select(Assignment.recommendation_id).where(
        Assignment.institution_id == actor.institution_id
    )
    rows = await session.execute(
        select(
            pairs.c.indicator_id, func.count().filter(pairs.c.recommendation_id.not_in(assigned))
        ).group_by(pairs.c.indicator_id)
    )
    return {indicator_id for indicator_id, unassigned in rows.all() if not unassigned}


async def add_many(
    session: AsyncSession, items: Sequence[tuple[Indicator, MeasurementCreate]], actor: Principal
) -> list[Measurement | AppError]:
    """add_measurement for many at once (the plan workbook): the same checks and audit records,
    one flush. Each item gives its measurement or its refusal; nothing is written when one is
    refused (the caller rolls back)."""
    measurable = await _measurable(session, actor, {indicator.id for indicator, _ in items})
    results: list[Measurement | AppError] = []
    events: list[Event] = []
    for indicator, data in items:
        if indicator.id not in measurable:
            results.append(Forbidden(
                "Your institution is not assigned to every recommendation this indicator measures."
            ))  # fmt: skip
            continue
        try:
            _not_in_the_future(data.date)
        except UnprocessableEntity as refused:
            results.append(refused)
            continue
        results.append(Measurement(
            id=uuid.uuid4(), indicator_id=indicator.id, created_by_id=actor.user.id,
            created_at=utcnow(), **data.model_dump(),
        ))  # fmt: skip
        events.append(("measure", "indicator", str(indicator.id), _measured(data)))
    if all(isinstance(r, Measurement) for r in results):
        session.add_all(r for r in results if isinstance(r, Measurement))
        await flush_or_conflict(session)
        await record_events(session, actor, events)
    return results


async def correct_measurement(
    session: AsyncSession, measurement: Measurement, data: MeasurementUpdate, actor: Principal
) -> Measurement:
    """A coordinator's correction, audited with the values before and after."""
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "date", "value")
    if "date" in sent:
        _not_in_the_future(sent["date"])
    before = _measurement_view(measurement)
    for field, value in sent.items():
        setattr(measurement, field, value)
    measurement.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session, actor, "update", "measurement", str(measurement.id),
        diff(before, _measurement_view(measurement)),
    )  # fmt: skip
    return measurement


async def delete_measurement(
    session: AsyncSession, measurement: Measurement, actor: Principal
) -> None:
    """A wrong measurement goes; the audit trail keeps what it said."""
    await record_event(
        session, actor, "delete", "measurement", str(measurement.id),
        diff({**_measurement_view(measurement), "indicator_id": str(measurement.indicator_id)}, {}),
    )  # fmt: skip
    await session.delete(measurement)
    await flush_or_conflict(session)


async def list_indicators(
    session: AsyncSession,
    *,
    recommendation: uuid.UUID | None,
    action: uuid.UUID | None,
    sdg_indicator: str | None,
    params: PageParams,
) -> tuple[list[Indicator], str | None, int | None]:
    stmt = select(Indicator)
    if recommendation is not None:
        stmt = stmt.where(
            Indicator.id.in_(
                select(IndicatorRecommendation.indicator_id).where(
                    IndicatorRecommendation.recommendation_id == recommendation
                )
            )
        )
    if action is not None:
        stmt = stmt.where(
            Indicator.id.in_(
                select(IndicatorAction.indicator_id).where(IndicatorAction.action_id == action)
            )
        )
    if sdg_indicator is not None:
        stmt = stmt.where(Indicator.sdg_indicator == sdg_indicator)
    return await paginate(session, stmt, BY_NAME, params)


async def list_measurements(
    session: AsyncSession, indicator_id: uuid.UUID, params: PageParams
) -> tuple[list[Measurement], str | None, int | None]:
    stmt = select(Measurement).where(Measurement.indicator_id == indicator_id)
    return await paginate(session, stmt, BY_DATE, params)
