"""Actions of the implementation plan. Their status feeds the recommendations' status."""

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from app.audit.service import Event, diff, record_event, record_events
from app.auth.principal import Principal
from app.clock import today
from app.db import flush_or_conflict
from app.errors import AppError, Forbidden, UnprocessableEntity, reject_nulls
from app.models.action import CLOSED_ACTION_STATUSES, Action, ActionRecommendation, ActionStatus
from app.models.base import utcnow
from app.models.cluster import ClusterRecommendation
from app.models.institution import Institution
from app.models.recommendation import Recommendation
from app.models.user import Role
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.planning.access import require_responsible
from app.planning.references import require_existing
from app.planning.status import refresh_status
from app.webhooks.events import emit

BY_DUE_DATE = KeysetOrder[Action](
    name="actions", columns=[Action.created_at, Action.id], descending=False,
    key=lambda a: [a.created_at, a.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip
_STATUS_ONLY = {"status"}


async def linked_recommendations(
    session: AsyncSession, action_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    if action_ids:
        rows = await session.execute(
            select(ActionRecommendation.action_id, ActionRecommendation.recommendation_id)
            .where(ActionRecommendation.action_id.in_(action_ids))
            .order_by(ActionRecommendation.recommendation_id)
        )
        for action_id, rec_id in rows.all():
            links[action_id].append(rec_id)
    return links


def _audit_view(action: Action, recommendation_ids: list[uuid.UUID]) -> dict[str, Any]:
    return ActionRead.build(action, sorted(recommendation_ids)).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version", "overdue"}
    )


async def _check_institution(session: AsyncSession, institution_id: uuid.UUID | None) -> None:
    if institution_id is not None and await session.get(Institution, institution_id) is None:
        raise UnprocessableEntity.for_field(
            "body.institution_id", f"unknown institution: {institution_id}", "unknown"
        )


def _set_status(action: Action, status: ActionStatus) -> None:
    if status is ActionStatus.completed and action.status is not ActionStatus.completed:
        action.completed_at = utcnow()
    elif status is not ActionStatus.completed:
        action.completed_at = None
    action.status = status


async def create_action(session: AsyncSession, data: ActionCreate, actor: Principal) -> Action:
    ids = await require_existing(
        session, Recommendation.id, data.recommendation_ids, "recommendation_ids", "recommendation"
    )
    await _check_institution(session, data.institution_id)
    action = Action(
        id=uuid.uuid4(), status=ActionStatus.planned,
        **data.model_dump(exclude={"recommendation_ids", "status"}),
    )  # fmt: skip
    _set_status(action, data.status)
    session.add(action)
    await flush_or_conflict(session)
    await session.execute(
        insert(ActionRecommendation),
        [{"action_id": action.id, "recommendation_id": i} for i in ids],
    )
    await record_event(
        session, actor, "create", "action", str(action.id), diff({}, _audit_view(action, ids))
    )
    await refresh_status(session, ids)
    return action


async def update_action(
    session: AsyncSession, action: Action, data: ActionUpdate, actor: Principal
) -> tuple[Action, list[uuid.UUID]]:
    sent = data.model_dump(exclude_unset=True)
    before_ids = (await linked_recommendations(session, [action.id]))[action.id]
    if actor.role not in (Role.admin, Role.coordinator):
        if set(sent) - _STATUS_ONLY:
            raise Forbidden("A focal point may change an action's status only.")
        require_responsible(actor, action.institution_id)
    reject_nulls(sent, "title", "status", "recommendation_ids")
    before = _audit_view(action, before_ids)
    if "institution_id" in sent:
        await _check_institution(session, data.institution_id)
    start = sent.get("start_date", action.start_date)
    due = sent.get("due_date", action.due_date)
    if start and due and start > due:
        raise UnprocessableEntity.for_field("body.start_date", "start_date is after due_date")
    after_ids = before_ids
    if data.recommendation_ids is not None:
        after_ids = await require_existing(
            session,
            Recommendation.id,
            data.recommendation_ids,
            "recommendation_ids",
            "recommendation",
        )
        await session.execute(
            delete(ActionRecommendation).where(ActionRecommendation.action_id == action.id)
        )
        await session.execute(
            insert(ActionRecommendation),
            [{"action_id": action.id, "recommendation_id": i} for i in after_ids],
        )
    for field, value in sent.items():
        if field == "status":
            _set_status(action, value)
        elif field != "recommendation_ids":
            setattr(action, field, value)
    action.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session, actor, "update", "action", str(action.id),
        diff(before, _audit_view(action, after_ids)),
    )  # fmt: skip
    await refresh_status(session, [*before_ids, *after_ids])
    await emit(session, "action.updated", ActionRead.build(action, sorted(after_ids)))
    return action, sorted(after_ids)


async def set_statuses(
    session: AsyncSession, changes: Sequence[tuple[Action, ActionStatus]], actor: Principal
) -> list[AppError | None]:
    """update_action with a status only, for many actions at once (the plan workbook): the same
    check and audit records, one flush and one status refresh. Each change gives None or its
    refusal; nothing is written when one is refused (the caller rolls back)."""
    refusals: list[AppError | None] = []
    for action, _ in changes:
        try:
            require_responsible(actor, action.institution_id)
            refusals.append(None)
        except Forbidden as refused:
            refusals.append(refused)
    if any(refusals) or not changes:
        return refusals
    links = await linked_recommendations(session, [action.id for action, _ in changes])
    now = utcnow()
    events: list[Event] = []
    for action, status in changes:
        before = _audit_view(action, links[action.id])
        _set_status(action, status)
        action.updated_at = now
        after = _audit_view(action, links[action.id])
        events.append(("update", "action", str(action.id), diff(before, after)))
    await flush_or_conflict(session)
    await record_events(session, actor, events)
    await refresh_status(session, [rec for ids in links.values() for rec in ids])
    return refusals


@dataclass(frozen=True)
class ActionFilters:
    institution: uuid.UUID | None = None
    status: tuple[ActionStatus, ...] = ()
    due_before: dt.date | None = None
    due_after: dt.date | None = None
    recommendation: uuid.UUID | None = None
    cluster: uuid.UUID | None = None
    overdue: bool | None = None


def overdue_condition(on: dt.date) -> Any:
    return (Action.due_date < on) & Action.status.not_in(CLOSED_ACTION_STATUSES)


def action_conditions(filters: ActionFilters) -> list[Any]:
    """The WHERE clauses of these filters, for the list and the export alike."""
    where: list[Any] = []
    if filters.institution is not None:
        where.append(Action.institution_id == filters.institution)
    if filters.status:
        where.append(Action.status.in_(filters.status))
    if filters.due_before is not None:
        where.append(Action.due_date < filters.due_before)
    if filters.due_after is not None:
        where.append(Action.due_date > filters.due_after)
    if filters.recommendation is not None:
        linked = select(ActionRecommendation.action_id).where(
            ActionRecommendation.recommendation_id == filters.recommendation
        )
        where.append(Action.id.in_(linked))
    if filters.cluster is not None:
        in_cluster = select(ActionRecommendation.action_id).where(
            ActionRecommendation.recommendation_id.in_(
                select(ClusterRecommendation.recommendation_id).where(
                    ClusterRecommendation.cluster_id == filters.cluster
                )
            )
        )
        where.append(Action.id.in_(in_cluster))
    if filters.overdue is True:
        where.append(overdue_condition(today()))
    elif filters.overdue is False:
        where.append(~overdue_condition(today()) | Action.due_date.is_(None))
    return where


async def list_actions(
    session: AsyncSession, filters: ActionFilters, params: PageParams
) -> tuple[list[Action], str | None, int | None]:
    stmt = select(Action).where(*action_conditions(filters))
    return await paginate(session, stmt, BY_DUE_DATE, params)


async def most_overdue(session: AsyncSession, limit: int) -> tuple[int, list[Action]]:
    """How many actions are overdue today, and the `limit` longest overdue."""
    overdue = overdue_condition(today())
    count = (await session.execute(select(func.count()).where(overdue))).scalar_one()
    stmt = select(Action).where(overdue).order_by(Action.due_date, Action.id).limit(limit)
    return count, list((await session.scalars(stmt)).all())
