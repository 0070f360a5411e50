"""Institutions: create, change, archive, list; every write audited."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.db import flush_or_conflict
from app.errors import UnprocessableEntity, reject_nulls
from app.institutions.schemas import InstitutionCreate, InstitutionRead, InstitutionUpdate
from app.models.base import utcnow
from app.models.institution import Institution, InstitutionKind
from app.models.user import Role, User
from app.pagination import KeysetOrder, PageParams, cursor_text, cursor_uuid, paginate

BY_NAME = KeysetOrder[Institution](
    name="name", columns=[Institution.name, Institution.id], descending=False,
    key=lambda i: [i.name, i.id], parsers=[cursor_text, cursor_uuid],
)  # fmt: skip


def _audit_view(institution: Institution) -> dict[str, Any]:
    return InstitutionRead.build(institution).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version"}
    )


async def _check_parent(
    session: AsyncSession, parent_id: uuid.UUID | None, child_id: uuid.UUID | None
) -> None:
    """The parent exists, and making it the parent would not close a loop."""
    seen: set[uuid.UUID] = set()
    current = parent_id
    while current is not None:
        if current == child_id:
            raise UnprocessableEntity.for_field(
                "body.parent_id", "an institution cannot sit below itself", "cycle"
            )
        if current in seen:  # pragma: no cover - a loop that earlier checks would have refused
            break
        seen.add(current)
        parent = await session.get(Institution, current)
        if parent is None:
            raise UnprocessableEntity.for_field(
                "body.parent_id", f"unknown institution: {current}", "unknown"
            )
        current = parent.parent_id


async def create_institution(
    session: AsyncSession, data: InstitutionCreate, actor: Principal
) -> Institution:
    await _check_parent(session, data.parent_id, None)
    institution = Institution(id=uuid.uuid4(), archived=False, **data.model_dump())
    session.add(institution)
    await flush_or_conflict(session)
    await record_event(
        session,
        actor,
        "create",
        "institution",
        str(institution.id),
        diff({}, _audit_view(institution)),
    )
    return institution


async def update_institution(
    session: AsyncSession, institution: Institution, data: InstitutionUpdate, actor: Principal
) -> Institution:
    before = _audit_view(institution)
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "name", "kind", "archived")
    if "parent_id" in sent:
        await _check_parent(session, data.parent_id, institution.id)
    for field, value in sent.items():
        setattr(institution, field, value)
    institution.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session, actor, "update", "institution", str(institution.id),
        diff(before, _audit_view(institution)),
    )  # fmt: skip
    return institution


async def archive_institution(
    session: AsyncSession, institution: Institution, actor: Principal
) -> None:
    await update_institution(session, institution, InstitutionUpdate(archived=True), actor)


async def list_institutions(
    session: AsyncSession,
    *,
    kind: InstitutionKind | None,
    parent_id: uuid.UUID | None,
    archived: bool,
    q: str | None,
    params: PageParams,
) -> tuple[list[Institution], str | None, int | None]:
    stmt = select(Institution).where(Institution.archived == archived)
    if kind is not None:
        stmt = stmt.where(Institution.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(Institution.parent_id == parent_id)
    if q:
        stmt = stmt.where(
            Institution.name.icontains(q, autoescape=True)
            | Institution.acronym.icontains(q, autoescape=True)
        )
    return await paginate(session, stmt, BY_NAME, params)


async def focal_points_of(
    session: AsyncSession, institution_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[User]]:
    """The active focal points of each institution, by name."""
    if not institution_ids:
        return {}
    people = await session.scalars(
        select(User)
        .where(
            User.institution_id.in_(institution_ids),
            User.role == Role.focal_point,
            User.active.is_(True),
        )
        .order_by(User.name, User.id)
    )
    found: dict[uuid.UUID, list[User]] = {}
    for person in people.all():
        assert person.institution_id is not None
        found.setdefault(person.institution_id, []).append(person)
    return found
