"""Where a focal point may write (DESIGN §6): progress updates on the recommendations its
institution is assigned to; the status of the actions its institution is responsible for;
measurements of the indicators whose every recommendation its institution is assigned to.

Coordinators and admins may write anywhere; other roles are refused before they get here (the
route's permission). A write API token acts with its owner's role and institution.
"""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import CompoundSelect, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.errors import Forbidden
from app.models.assignment import Assignment
from app.models.user import Role

_EVERYWHERE = (Role.admin, Role.coordinator)


async def assigned_institution(
    session: AsyncSession, principal: Principal, recommendation_ids: Iterable[uuid.UUID]
) -> bool:
    if principal.role in _EVERYWHERE:
        return True
    ids = list(recommendation_ids)
    if principal.institution_id is None or not ids:
        return False
    found = await session.scalars(
        select(Assignment.id)
        .where(
            Assignment.institution_id == principal.institution_id,
            Assignment.recommendation_id.in_(ids),
        )
        .limit(1)
    )
    return found.first() is not None


async def assigned_among(
    session: AsyncSession, principal: Principal, recommendation_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the recommendations the caller may report on (all of them for coordinators)."""
    ids = set(recommendation_ids)
    if principal.role in _EVERYWHERE:
        return ids
    if principal.institution_id is None or not ids:
        return set()
    found = await session.scalars(
        select(Assignment.recommendation_id).where(
            Assignment.institution_id == principal.institution_id,
            Assignment.recommendation_id.in_(ids),
        )
    )
    return set(found.all())


async def require_assigned(
    session: AsyncSession, principal: Principal, recommendation_ids: Iterable[uuid.UUID]
) -> None:
    """Refuse a focal point whose institution is not assigned to any of these recommendations."""
    if not await assigned_institution(session, principal, recommendation_ids):
        raise Forbidden("Your institution is not assigned to this recommendation.")


def require_responsible(principal: Principal, institution_id: uuid.UUID | None) -> None:
    """Refuse a focal point whose institution is not the one responsible (an action's)."""
    if principal.role in _EVERYWHERE:
        return
    if institution_id is None or institution_id != principal.institution_id:
        raise Forbidden("Only the institution responsible for this action changes its status.")


async def require_assigned_to_every(
    session: AsyncSession, principal: Principal, recommendation_ids: CompoundSelect[Any]
) -> None:
    """Refuse a focal point unless its institution is assigned to every one of the
    recommendations `recommendation_ids` selects, and there is at least one."""
    if principal.role in _EVERYWHERE:
        return
    linked = recommendation_ids.subquery()
    assigned = select(Assignment.recommendation_id).where(
        Assignment.institution_id == principal.institution_id
    )
    column = next(iter(linked.c))
    total, unassigned = (
        await session.execute(
            select(func.count(), func.count().filter(column.not_in(assigned))).select_from(linked)
        )
    ).one()
    if principal.institution_id is None or total == 0 or unassigned:
        raise Forbidden(
            "Your institution is not assigned to every recommendation this indicator measures."
        )
