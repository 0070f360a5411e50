"""Progress updates and their review: draft → submitted → validated | rejected.

A rejected update can be edited and submitted again; a validated one is final, and only
validated updates count towards a recommendation's status and the progress figures.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event, diff, record_event, record_events
from app.auth.principal import Principal
from app.db import flush_or_conflict
from app.errors import AppError, Conflict, Forbidden, UnprocessableEntity, reject_nulls
from app.models.base import utcnow
from app.models.institution import Institution
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation
from app.models.user import Role
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.planning.access import assigned_among, require_assigned
from app.planning.status import refresh_status
from app.progress_updates.schemas import (
    ProgressUpdateCreate,
    ProgressUpdateEdit,
    ProgressUpdateRead,
)
from app.webhooks.events import emit

NEWEST_FIRST = KeysetOrder[ProgressUpdate](
    name="updates", columns=[ProgressUpdate.created_at, ProgressUpdate.id], descending=True,
    key=lambda u: [u.created_at, u.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip
_EDITABLE = (UpdateState.draft, UpdateState.rejected)
_NOT_ASSIGNED = "Your institution is not assigned to this recommendation."


def _audit_view(update: ProgressUpdate) -> dict[str, Any]:
    return ProgressUpdateRead.build(update).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version"}
    )


def visible_to(principal: Principal | None) -> Any:
    """What a caller may read: the public sees validated updates only."""
    return None if principal is not None else ProgressUpdate.state == UpdateState.validated


async def require_reporter(session: AsyncSession, update: ProgressUpdate, actor: Principal) -> None:
    if actor.role in (Role.admin, Role.coordinator):
        return
    if update.institution_id != actor.institution_id:
        raise Forbidden("This update was reported by another institution.")
    await require_assigned(session, actor, [update.recommendation_id])


async def create_update(
    session: AsyncSession, rec: Recommendation, data: ProgressUpdateCreate, actor: Principal
) -> ProgressUpdate:
    institution_id = data.institution_id
    if actor.role not in (Role.admin, Role.coordinator):
        if institution_id is not None and institution_id != actor.institution_id:
            raise Forbidden("A focal point reports for its own institution only.")
        institution_id = actor.institution_id
        await require_assigned(session, actor, [rec.id])
    elif institution_id is not None and await session.get(Institution, institution_id) is None:
        raise UnprocessableEntity.for_field(
            "body.institution_id", f"unknown institution: {institution_id}", "unknown"
        )
    update = ProgressUpdate(
        id=uuid.uuid4(), recommendation_id=rec.id, assessment=data.assessment,
        narrative=data.narrative, evidence=list(data.evidence), state=UpdateState.draft,
        author_id=actor.user.id, institution_id=institution_id,
    )  # fmt: skip
    session.add(update)
    await flush_or_conflict(session)
    await record_event(
        session, actor, "create", "progress_update", str(update.id), diff({}, _audit_view(update))
    )
    return update


async def create_many(
    session: AsyncSession,
    items: Sequence[tuple[Recommendation, ProgressUpdateCreate]],
    actor: Principal,
    *,
    submit: bool,
) -> list[ProgressUpdate | AppError]:
    """create_update (then submit, if asked) for many at once, for the plan workbook: the same
    checks and audit records, in a few statements. Each item gives its update or its refusal;
    nothing is written when one is refused (the caller rolls back)."""
    everywhere = actor.role in (Role.admin, Role.coordinator)
    assigned = await assigned_among(session, actor, [rec.id for rec, _ in items])
    named = {data.institution_id for _, data in items if data.institution_id is not None}
    known = set(
        (await session.scalars(select(Institution.id).where(Institution.id.in_(named)))).all()
    ) if everywhere and named else set()  # fmt: skip
    results: list[ProgressUpdate | AppError] = []
    events: list[Event] = []
    for rec, data in items:
        institution_id = data.institution_id
        if not everywhere:
            if institution_id is not None and institution_id != actor.institution_id:
                results.append(Forbidden("A focal point reports for its own institution only."))
                continue
            institution_id = actor.institution_id
            if rec.id not in assigned:
                results.append(Forbidden(_NOT_ASSIGNED))
                continue
        elif institution_id is not None and institution_id not in known:
            results.append(UnprocessableEntity.for_field(
                "body.institution_id", f"unknown institution: {institution_id}", "unknown"
            ))  # fmt: skip
            continue
        now = utcnow()
        update = ProgressUpdate(
            id=uuid.uuid4(), recommendation_id=rec.id, assessment=data.assessment,
            narrative=data.narrative, evidence=list(data.evidence), state=UpdateState.draft,
            author_id=actor.user.id, institution_id=institution_id, created_at=now,
            updated_at=now, version=1,
        )  # fmt: skip
        draft = _audit_view(update)
        events.append(("create", "progress_update", str(update.id), diff({}, draft)))
        if submit:
            update.state, update.submitted_at = UpdateState.submitted, now
            submitted = diff(draft, _audit_view(update))
            events.append(("submit", "progress_update", str(update.id), submitted))
        results.append(update)
    if all(isinstance(r, ProgressUpdate) for r in results):
        session.add_all(r for r in results if isinstance(r, ProgressUpdate))
        await flush_or_conflict(session)
        await record_events(session, actor, events)
        if submit:
            # Submitted from a workbook as from the API: webhooks and coordinators hear of it.
            for made in results:
                assert isinstance(made, ProgressUpdate)
                await emit(session, "progress_update.submitted", ProgressUpdateRead.build(made))
    return results


async def edit_update(
    session: AsyncSession, update: ProgressUpdate, data: ProgressUpdateEdit, actor: Principal
) -> ProgressUpdate:
    await require_reporter(session, update, actor)
    if update.state not in _EDITABLE:
        raise Conflict(f"A {update.state} update cannot be edited; only drafts and rejected ones.")
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "assessment")
    before = _audit_view(update)
    for field, value in sent.items():
        setattr(update, field, value if value is not None or field != "evidence" else [])
    update.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session,
        actor,
        "update",
        "progress_update",
        str(update.id),
        diff(before, _audit_view(update)),
    )
    return update


async def lock_state(session: AsyncSession, update: ProgressUpdate) -> None:
    """Reread the update's state under a row lock held to the commit: a state change and a file
    being attached wait for each other (SQLite's single writer serialises them anyway)."""
    await session.refresh(update, attribute_names=["state", "version"], with_for_update=True)


async def _move(
    session: AsyncSession,
    update: ProgressUpdate,
    actor: Principal,
    *,
    allowed_from: tuple[UpdateState, ...],
    to: UpdateState,
    comment: str | None = None,
) -> ProgressUpdate:
    await lock_state(session, update)
    if update.state not in allowed_from:
        raise Conflict(
            f"A {update.state} update cannot become {to}; it must be "
            f"{' or '.join(str(s) for s in allowed_from)}."
        )
    before = _audit_view(update)
    now = utcnow()
    update.state = to
    if to is UpdateState.submitted:
        update.submitted_at = now
    else:
        update.reviewed_by_id = actor.user.id
        update.review_comment = comment
        update.validated_at = now if to is UpdateState.validated else None
    update.updated_at = now
    await flush_or_conflict(session)
    action = {"submitted": "submit", "validated": "validate", "rejected": "reject"}[str(to)]
    await record_event(
        session, actor, action, "progress_update", str(update.id), diff(before, _audit_view(update))
    )
    if to is UpdateState.validated:
        await refresh_status(session, [update.recommendation_id])
    await emit(session, f"progress_update.{to}", ProgressUpdateRead.build(update))
    return update


async def submit(session: AsyncSession, update: ProgressUpdate, actor: Principal) -> ProgressUpdate:
    await require_reporter(session, update, actor)
    return await _move(session, update, actor, allowed_from=_EDITABLE, to=UpdateState.submitted)


async def validate(
    session: AsyncSession, update: ProgressUpdate, actor: Principal, comment: str | None
) -> ProgressUpdate:
    return await _move(
        session, update, actor, allowed_from=(UpdateState.submitted,), to=UpdateState.validated,
        comment=comment,
    )  # fmt: skip


async def reject(
    session: AsyncSession, update: ProgressUpdate, actor: Principal, comment: str
) -> ProgressUpdate:
    return await _move(
        session, update, actor, allowed_from=(UpdateState.submitted,), to=UpdateState.rejected,
        comment=comment,
    )  # fmt: skip


@dataclass(frozen=True)
class UpdateFilters:
    recommendation: uuid.UUID | None = None
    institution: uuid.UUID | None = None
    state: UpdateState | None = None


def update_conditions(public: bool, filters: UpdateFilters) -> list[Any]:
    """The updates these filters name, as the public (validated ones only) or a signed-in
    reader sees them: for the list and the export alike."""
    where: list[Any] = []
    if public:
        where.append(visible_to(None))
    if filters.recommendation is not None:
        where.append(ProgressUpdate.recommendation_id == filters.recommendation)
    if filters.institution is not None:
        where.append(ProgressUpdate.institution_id == filters.institution)
    if filters.state is not None:
        where.append(ProgressUpdate.state == filters.state)
    return where


async def list_updates(
    session: AsyncSession,
    principal: Principal | None,
    *,
    recommendation: uuid.UUID | None,
    institution: uuid.UUID | None,
    state: UpdateState | None,
    params: PageParams,
) -> tuple[list[ProgressUpdate], str | None, int | None]:
    filters = UpdateFilters(recommendation, institution, state)
    stmt = select(ProgressUpdate).where(*update_conditions(principal is None, filters))
    return await paginate(session, stmt, NEWEST_FIRST, params)


async def review_queue(session: AsyncSession, limit: int) -> tuple[int, list[ProgressUpdate]]:
    """How many updates wait for validation, and the `limit` that have waited longest."""
    waiting = ProgressUpdate.state == UpdateState.submitted
    count = (await session.execute(select(func.count()).where(waiting))).scalar_one()
    stmt = (
        select(ProgressUpdate)
        .where(waiting)
        .order_by(ProgressUpdate.submitted_at, ProgressUpdate.id)
        .limit(limit)
    )
    return count, list((await session.scalars(stmt)).all())
