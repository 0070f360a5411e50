"""Assignments of recommendations to institutions; each change re-derives the status."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.assignments.schemas import (
    AssignmentBulk,
    AssignmentBulkResult,
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
)
from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.db import flush_or_conflict
from app.errors import Conflict, UnprocessableEntity, reject_nulls
from app.models.assignment import Assignment, AssignmentRole
from app.models.base import utcnow
from app.models.institution import Institution
from app.models.recommendation import Recommendation
from app.models.user import Role, User
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.planning.references import require_existing
from app.planning.status import refresh_status
from app.webhooks.events import emit

BY_CREATION = KeysetOrder[Assignment](
    name="assignments", columns=[Assignment.created_at, Assignment.id], descending=False,
    key=lambda a: [a.created_at, a.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip
_TAKEN = (
    "This institution is assigned to this recommendation already, or another institution leads "
    "it; nothing was changed."
)


def _audit_view(assignment: Assignment) -> dict[str, Any]:
    return AssignmentRead.build(assignment).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version"}
    )


async def _check_people(
    session: AsyncSession, institution_id: uuid.UUID, focal_point_id: uuid.UUID | None
) -> None:
    institution = await session.get(Institution, institution_id)
    if institution is None or institution.archived:
        raise UnprocessableEntity.for_field(
            "body.institution_id", f"unknown institution: {institution_id}", "unknown"
        )
    if focal_point_id is None:
        return
    person = await session.get(User, focal_point_id)
    if person is None or not person.active:
        raise UnprocessableEntity.for_field(
            "body.focal_point_id", f"unknown user: {focal_point_id}", "unknown"
        )
    if person.role is Role.focal_point and person.institution_id != institution_id:
        raise UnprocessableEntity.for_field(
            "body.focal_point_id", "this focal point belongs to another institution", "mismatch"
        )


async def _other_lead(
    session: AsyncSession, recommendation_ids: list[uuid.UUID], institution_id: uuid.UUID
) -> list[uuid.UUID]:
    """Recommendations among these that another institution leads already."""
    rows = await session.scalars(
        select(Assignment.recommendation_id).where(
            Assignment.recommendation_id.in_(recommendation_ids),
            Assignment.role == AssignmentRole.lead,
            Assignment.institution_id != institution_id,
        )
    )
    return list(rows.all())


async def create_assignment(
    session: AsyncSession, data: AssignmentCreate, actor: Principal
) -> Assignment:
    await require_existing(
        session, Recommendation.id, [data.recommendation_id], "recommendation_id", "recommendation"
    )
    await _check_people(session, data.institution_id, data.focal_point_id)
    if data.role is AssignmentRole.lead and await _other_lead(
        session, [data.recommendation_id], data.institution_id
    ):
        raise Conflict("Another institution leads this recommendation; make this one support.")
    assignment = Assignment(id=uuid.uuid4(), **data.model_dump())
    session.add(assignment)
    await flush_or_conflict(session, _TAKEN)
    await record_event(
        session,
        actor,
        "create",
        "assignment",
        str(assignment.id),
        diff({}, _audit_view(assignment)),
    )
    await refresh_status(session, [assignment.recommendation_id])
    await emit(session, "assignment.created", AssignmentRead.build(assignment))
    return assignment


async def update_assignment(
    session: AsyncSession, assignment: Assignment, data: AssignmentUpdate, actor: Principal
) -> Assignment:
    before = _audit_view(assignment)
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "role")
    if "focal_point_id" in sent:
        await _check_people(session, assignment.institution_id, data.focal_point_id)
    if sent.get("role") is AssignmentRole.lead and await _other_lead(
        session, [assignment.recommendation_id], assignment.institution_id
    ):
        raise Conflict("Another institution leads this recommendation.")
    start = sent.get("start_date", assignment.start_date)
    due = sent.get("due_date", assignment.due_date)
    if start and due and start > due:
        raise UnprocessableEntity.for_field("body.start_date", "start_date is after due_date")
    for field, value in sent.items():
        setattr(assignment, field, value)
    assignment.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session, actor, "update", "assignment", str(assignment.id),
        diff(before, _audit_view(assignment)),
    )  # fmt: skip
    return assignment


async def delete_assignment(
    session: AsyncSession, assignment: Assignment, actor: Principal
) -> None:
    """Withdrawn assignments go; the audit trail keeps what they were."""
    await record_event(
        session,
        actor,
        "delete",
        "assignment",
        str(assignment.id),
        diff(_audit_view(assignment), {}),
    )
    # What it was: a receiver learns which assignment went, and from where.
    await emit(session, "assignment.deleted", AssignmentRead.build(assignment))
    await session.delete(assignment)
    await refresh_status(session, [assignment.recommendation_id])


async def bulk_assign(
    session: AsyncSession, data: AssignmentBulk, actor: Principal
) -> AssignmentBulkResult:
    """Assign many recommendations to one institution, all or nothing. An existing assignment of
    the same institution takes the new role, dates and focal point."""
    ids = await require_existing(
        session, Recommendation.id, data.recommendation_ids, "recommendation_ids", "recommendation"
    )
    await _check_people(session, data.institution_id, data.focal_point_id)
    if data.role is AssignmentRole.lead:
        led = await _other_lead(session, ids, data.institution_id)
        if led:
            raise Conflict(
                f"{len(led)} of these recommendations have another lead institution, e.g. "
                f"{', '.join(str(i) for i in led[:5])}; nothing was changed."
            )
    existing = {
        a.recommendation_id: a
        for a in (
            await session.scalars(
                select(Assignment).where(
                    Assignment.institution_id == data.institution_id,
                    Assignment.recommendation_id.in_(ids),
                )
            )
        ).all()
    }
    values = data.model_dump(exclude={"recommendation_ids", "institution_id"})
    result_ids, created, new = [], 0, []
    for rec_id in ids:
        assignment = existing.get(rec_id)
        if assignment is None:
            assignment = Assignment(
                id=uuid.uuid4(),
                recommendation_id=rec_id,
                institution_id=data.institution_id,
                **values,
            )
            session.add(assignment)
            new.append(assignment)
            created += 1
        else:
            for field, value in values.items():
                setattr(assignment, field, value)
            assignment.updated_at = utcnow()
        result_ids.append(assignment.id)
    await flush_or_conflict(session, _TAKEN)
    terms = {key: str(value) if value else value for key, value in values.items()}
    changes: dict[str, dict[str, Any]] = {
        "recommendation_ids": {"before": None, "after": [str(i) for i in ids]},
        "assignment": {"before": None, "after": terms},
    }
    await record_event(
        session, actor, "bulk_assign", "institution", str(data.institution_id), changes
    )
    await refresh_status(session, ids)
    for assignment in new:
        await emit(session, "assignment.created", AssignmentRead.build(assignment))
    return AssignmentBulkResult(
        created=created, updated=len(ids) - created, assignment_ids=result_ids
    )


async def list_assignments(
    session: AsyncSession,
    *,
    recommendation_id: uuid.UUID | None,
    institution_id: uuid.UUID | None,
    focal_point_id: uuid.UUID | None,
    role: AssignmentRole | None,
    due_before: dt.date | None,
    params: PageParams,
) -> tuple[list[Assignment], str | None, int | None]:
    stmt = select(Assignment)
    for column, value in (
        (Assignment.recommendation_id, recommendation_id),
        (Assignment.institution_id, institution_id),
        (Assignment.focal_point_id, focal_point_id),
        (Assignment.role, role),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if due_before is not None:
        stmt = stmt.where(Assignment.due_date < due_before)
    return await paginate(session, stmt, BY_CREATION, params)
