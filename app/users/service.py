"""User accounts: created and administered by admins, every change audited."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_tokens.service import revoke_all
from app.audit.service import diff, record_event
from app.auth.limits import clear_failures
from app.auth.principal import Principal
from app.auth.security import hash_password_in_thread, password_problems
from app.config import Settings
from app.db import flush_or_conflict
from app.errors import Conflict, FieldProblem, NotFound, UnprocessableEntity, reject_nulls
from app.models.base import utcnow
from app.models.institution import Institution
from app.models.user import Role, User
from app.pagination import KeysetOrder, PageParams, cursor_text, paginate
from app.users.schemas import UserCreate, UserRead, UserUpdate

BY_EMAIL = KeysetOrder[User](
    name="email",
    columns=[User.email],
    descending=False,
    key=lambda u: [u.email],
    parsers=[cursor_text],
)
_EMAIL_TAKEN = "An account with this email address exists already."


def _audit_view(user: User) -> dict[str, Any]:
    # Never the password hash: the trail is read by coordinators.
    return UserRead.build(user).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version"}
    )


def _check_password(password: str, email: str, name: str, field: str) -> None:
    problems = password_problems(password, email=email, name=name)
    if problems:
        raise UnprocessableEntity(
            "The password does not meet the policy.",
            errors=[FieldProblem(field=field, message=p, code="weak_password") for p in problems],
        )


async def _check_institution(
    session: AsyncSession, role: Role, institution_id: uuid.UUID | None
) -> None:
    if institution_id is not None:
        institution = await session.get(Institution, institution_id)
        if institution is None or institution.archived:
            raise UnprocessableEntity.for_field(
                "body.institution_id", f"unknown institution: {institution_id}", "unknown"
            )
    elif role is Role.focal_point:
        raise UnprocessableEntity.for_field(
            "body.institution_id", "a focal point belongs to an institution", "missing"
        )


async def create_user(
    session: AsyncSession,
    data: UserCreate,
    settings: Settings,
    actor: Principal | None,
    *,
    actor_label: str | None = None,
) -> User:
    password = data.password.get_secret_value()
    _check_password(password, data.email, data.name, "body.password")
    await _check_institution(session, data.role, data.institution_id)
    taken = await session.scalars(select(User.id).where(User.email == data.email))
    if taken.first() is not None:
        raise Conflict(_EMAIL_TAKEN)
    user = User(
        id=uuid.uuid4(),
        email=data.email,
        name=data.name,
        role=data.role,
        institution_id=data.institution_id,
        password_hash=await hash_password_in_thread(password, settings),
        active=True,
        session_version=1,
    )
    session.add(user)
    await flush_or_conflict(session, _EMAIL_TAKEN)
    await record_event(
        session, actor, "create", "user", str(user.id), diff({}, _audit_view(user)),
        actor_label=actor_label,
    )  # fmt: skip
    return user


async def _lock_active_admins(session: AsyncSession) -> None:
    """Lock the active admins' rows until the transaction ends (PostgreSQL; SQLite ignores it):
    of two admins demoting each other at once, the second waits for the first to commit. Rows
    are locked in id order, so that the two cannot deadlock."""
    admins = select(User.id).where(User.role == Role.admin, User.active.is_(True))
    await session.execute(admins.order_by(User.id).with_for_update())


async def _active_admins(session: AsyncSession) -> int:
    stmt = select(func.count()).where(User.role == Role.admin, User.active.is_(True))
    return (await session.execute(stmt)).scalar_one()


async def update_user(
    session: AsyncSession, user: User, data: UserUpdate, actor: Principal
) -> User:
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "name", "role", "active")
    before = _audit_view(user)
    role = sent.get("role", user.role)
    institution_id = sent.get("institution_id", user.institution_id)
    if "role" in sent or "institution_id" in sent:
        await _check_institution(session, role, institution_id)
    stays_admin = role is Role.admin and sent.get("active", user.active)
    losing_an_admin = user.role is Role.admin and user.active and not stays_admin
    if losing_an_admin:
        await _lock_active_admins(session)
    deactivated = user.active and sent.get("active") is False
    for field, value in sent.items():
        setattr(user, field, value)
    if deactivated:
        # Ends its login tokens and workspace sessions for good: a later reactivation does not
        # revive them.
        user.session_version += 1
    user.updated_at = utcnow()
    await flush_or_conflict(session)
    # Counted after the write, inside the transaction: on SQLite the write holds the one write
    # lock until commit, so a concurrent demotion is either seen here or sees this one.
    if losing_an_admin and await _active_admins(session) == 0:
        raise Conflict("This is the last active admin; make another admin first.")
    await record_event(
        session, actor, "update", "user", str(user.id), diff(before, _audit_view(user))
    )
    if deactivated:
        await revoke_all(session, user.id, actor)
    return user


def check_new_password(user: User, new: str, field: str) -> None:
    _check_password(new, user.email, user.name, field)


async def set_password(
    session: AsyncSession,
    user: User,
    new: str,
    settings: Settings,
    actor: Principal | None,
    *,
    revoke_api_tokens: bool,
    action: str = "change_password",
    actor_label: str | None = None,
) -> None:
    """Set a password already checked against the policy (check_new_password). Login tokens
    issued before stop working; with `revoke_api_tokens`, so do the user's API tokens."""
    user.password_hash = await hash_password_in_thread(new, settings)
    # Login tokens and workspace sessions issued with the old password stop working.
    user.session_version += 1
    user.updated_at = utcnow()
    await flush_or_conflict(session)
    changes = {"password": {"before": "(hidden)", "after": "(changed)"}}
    await record_event(
        session, actor, action, "user", str(user.id), changes, actor_label=actor_label
    )
    if revoke_api_tokens:
        await revoke_all(session, user.id, actor)


async def list_users(
    session: AsyncSession,
    *,
    role: Role | None,
    institution_id: uuid.UUID | None,
    active: bool | None,
    params: PageParams,
) -> tuple[list[User], str | None, int | None]:
    stmt = select(User)
    if role is not None:
        stmt = stmt.where(User.role == role)
    if institution_id is not None:
        stmt = stmt.where(User.institution_id == institution_id)
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return await paginate(session, stmt, BY_EMAIL, params)


async def user_by_email(session: AsyncSession, email: str) -> User:
    email = email.strip().lower()
    user = (await session.scalars(select(User).where(User.email == email))).one_or_none()
    if user is None:
        raise NotFound(f"There is no account {email}.")
    return user


async def unlock(
    session: AsyncSession, user: User, actor: Principal | None, *, actor_label: str | None = None
) -> int:
    """Forget the failed logins on an account, from every address; answers how many."""
    cleared = await clear_failures(session, user.email)
    await record_event(
        session, actor, "unlock", "user", str(user.id),
        {"failed_logins": {"before": cleared, "after": 0}}, actor_label=actor_label,
    )  # fmt: skip
    return cleared
