"""Where a focal point may write: the recommendations its institution is assigned to.

Coordinators and admins may write anywhere; other roles are refused before they get here (the
route's permission). A write API token acts with its owner's role and institution.
"""

import uuid
from collections.abc import Iterable

from sqlalchemy import select
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


async def require_assigned(
    session: AsyncSession,
    principal: Principal,
    recommendation_ids: Iterable[uuid.UUID],
    *,
    also_institution: uuid.UUID | None = None,
) -> None:
    """Refuse a focal point whose institution is not assigned to any of these recommendations
    (nor is `also_institution`, e.g. the institution responsible for an action)."""
    if principal.role in _EVERYWHERE:
        return
    if also_institution is not None and also_institution == principal.institution_id:
        return
    if not await assigned_institution(session, principal, recommendation_ids):
        raise Forbidden("Your institution is not assigned to this recommendation.")
