"""The counts of a person's own work, for the overview page: what waits for them."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.service import overdue_condition
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clock import today
from app.models.action import CLOSED_ACTION_STATUSES, Action
from app.models.assignment import Assignment
from app.models.progress_update import ProgressUpdate, UpdateState


@dataclass(frozen=True)
class MyWork:
    # For people of an institution (focal points): its assignments and actions.
    assigned: int | None = None
    open_actions: int | None = None
    overdue_actions: int | None = None
    # Their own updates still to finish: drafts, and rejected ones to correct.
    updates_to_finish: int = 0
    # For reviewers: submitted updates waiting for validation.
    awaiting_validation: int | None = None


async def _count(session: AsyncSession, *where: object) -> int:
    stmt = select(func.count()).where(*where)  # type: ignore[arg-type]
    return int((await session.execute(stmt)).scalar_one())


async def my_work(session: AsyncSession, principal: Principal) -> MyWork:
    institution = principal.institution_id
    counts: dict[str, int | None] = {}
    if institution is not None:
        counts["assigned"] = await _count(session, Assignment.institution_id == institution)
        counts["open_actions"] = await _count(
            session,
            Action.institution_id == institution,
            Action.status.not_in(CLOSED_ACTION_STATUSES),
        )
        counts["overdue_actions"] = await _count(
            session, Action.institution_id == institution, overdue_condition(today())
        )
    if principal.can(Permission.validate_progress):
        counts["awaiting_validation"] = await _count(
            session, ProgressUpdate.state == UpdateState.submitted
        )
    to_finish = await _count(
        session,
        ProgressUpdate.author_id == principal.user.id,
        ProgressUpdate.state.in_([UpdateState.draft, UpdateState.rejected]),
    )
    return MyWork(updates_to_finish=to_finish, **counts)


@dataclass(frozen=True)
class WorkLists:
    """What /my-work lists: overdue first, then soonest due, then undated."""

    assignments: list[Assignment]
    actions: list[Action]
    updates: list[ProgressUpdate]  # one's own drafts and rejected updates, newest first


async def work_lists(session: AsyncSession, principal: Principal, limit: int) -> WorkLists:
    institution = principal.institution_id
    mine = Assignment.focal_point_id == principal.user.id
    if institution is not None:
        mine = mine | (Assignment.institution_id == institution)
    assignments = await session.scalars(
        select(Assignment)
        .where(mine)
        .order_by(Assignment.due_date.is_(None), Assignment.due_date, Assignment.id)
        .limit(limit)
    )
    actions: list[Action] = []
    if institution is not None:
        found = await session.scalars(
            select(Action)
            .where(
                Action.institution_id == institution,
                Action.status.not_in(CLOSED_ACTION_STATUSES),
            )
            .order_by(Action.due_date.is_(None), Action.due_date, Action.id)
            .limit(limit)
        )
        actions = list(found.all())
    updates = await session.scalars(
        select(ProgressUpdate)
        .where(
            ProgressUpdate.author_id == principal.user.id,
            ProgressUpdate.state.in_([UpdateState.draft, UpdateState.rejected]),
        )
        .order_by(ProgressUpdate.updated_at.desc(), ProgressUpdate.id)
        .limit(limit)
    )
    return WorkLists(list(assignments.all()), actions, list(updates.all()))
