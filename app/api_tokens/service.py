"""API tokens for integrations: the secret is shown once and only its hash is kept."""

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_tokens.schemas import ApiTokenCreate
from app.audit.service import record_event
from app.auth.principal import Principal
from app.auth.security import new_api_token
from app.errors import NotFound, UnprocessableEntity
from app.models.base import utcnow
from app.models.user import ApiToken, Role
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate

NEWEST_FIRST = KeysetOrder[ApiToken](
    name="token", columns=[ApiToken.created_at, ApiToken.id], descending=True,
    key=lambda t: [t.created_at, t.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip


async def create_token(
    session: AsyncSession, data: ApiTokenCreate, owner: Principal
) -> tuple[ApiToken, str]:
    if data.expires_at is not None and data.expires_at <= utcnow():
        raise UnprocessableEntity.for_field("body.expires_at", "the expiry is in the past")
    fresh = new_api_token()
    token = ApiToken(
        id=uuid.uuid4(),
        user_id=owner.user.id,
        name=data.name,
        scope=data.scope,
        lookup_prefix=fresh.lookup_prefix,
        secret_hash=fresh.secret_hash,
        expires_at=data.expires_at,
        created_at=utcnow(),
    )
    session.add(token)
    await session.flush()
    changes = {
        "name": {"before": None, "after": data.name},
        "scope": {"before": None, "after": str(data.scope)},
        "expires_at": {
            "before": None,
            "after": data.expires_at.isoformat() if data.expires_at else None,
        },
    }
    await record_event(session, owner, "create", "api_token", str(token.id), changes)
    return token, fresh.secret


async def list_tokens(
    session: AsyncSession, owner: Principal, user_id: uuid.UUID | None, params: PageParams
) -> tuple[list[ApiToken], str | None, int | None]:
    """The caller's own tokens; an admin may ask for another user's."""
    wanted = user_id if (user_id is not None and owner.role is Role.admin) else owner.user.id
    stmt = select(ApiToken).where(ApiToken.user_id == wanted)
    return await paginate(session, stmt, NEWEST_FIRST, params)


async def revoke_token(session: AsyncSession, token_id: uuid.UUID, actor: Principal) -> None:
    token = await session.get(ApiToken, token_id)
    # Someone else's token is "not found" to a non-admin: its existence is not theirs to know.
    if token is None or (token.user_id != actor.user.id and actor.role is not Role.admin):
        raise NotFound(f"There is no API token {token_id} of yours.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        await session.flush()
        await record_event(
            session, actor, "revoke", "api_token", str(token.id),
            {"revoked_at": {"before": None, "after": token.revoked_at.isoformat()}},
        )  # fmt: skip


async def revoke_all(session: AsyncSession, user_id: uuid.UUID, actor: Principal | None) -> int:
    """Revoke every live token of the user (a deactivation, or a password change that asks for
    it); answers how many."""
    now = utcnow()
    revoked = await session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(revoked.rowcount)  # type: ignore[attr-defined]
    if count:
        await record_event(
            session, actor, "revoke_api_tokens", "user", str(user_id),
            {"api_tokens_revoked": {"before": None, "after": count}},
        )  # fmt: skip
    return count


async def list_every_token(
    session: AsyncSession, params: PageParams
) -> tuple[list[ApiToken], str | None, int | None]:
    """Every user's tokens, newest first: for an admin's /admin/tokens."""
    return await paginate(session, select(ApiToken), NEWEST_FIRST, params)
