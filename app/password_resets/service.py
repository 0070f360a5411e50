"""Admin-initiated password resets: a one-time token the admin hands over, and its use.

Only the token's SHA-256 is kept. It works once and until it expires; issuing a new one for the
same account voids the ones not yet used. Using it sets the password, ends the account's login
sessions and forgets its failed logins: it is the way back in after a lock-out.
"""

import datetime as dt
import uuid

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_event
from app.auth.limits import clear_failures
from app.auth.principal import Principal
from app.auth.security import hash_token, new_reset_token
from app.config import Settings
from app.errors import UnprocessableEntity
from app.models.base import utcnow
from app.models.credentials import PasswordReset
from app.models.user import User
from app.users.service import check_new_password, set_password

_UNUSABLE = "This reset token is unknown, used already or expired: ask an admin for a new one."


async def issue(
    session: AsyncSession, user: User, settings: Settings, actor: Principal
) -> tuple[PasswordReset, str]:
    await session.execute(
        delete(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None)
        )
    )
    token, digest = new_reset_token()
    now = utcnow()
    reset = PasswordReset(
        id=uuid.uuid4(), user_id=user.id, token_hash=digest, created_by_id=actor.user.id,
        created_at=now, expires_at=now + dt.timedelta(hours=settings.password_reset_hours),
    )  # fmt: skip
    session.add(reset)
    await session.flush()
    await record_event(
        session, actor, "issue_password_reset", "user", str(user.id),
        {"expires_at": {"before": None, "after": reset.expires_at.isoformat()}},
    )  # fmt: skip
    return reset, token


async def redeem(
    session: AsyncSession, token: str, new_password: str, settings: Settings, *,
    revoke_api_tokens: bool,
) -> None:  # fmt: skip
    # One conditional UPDATE takes the token: of two requests with it, one wins.
    taken = await session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == hash_token(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > utcnow(),
        )
        .values(used_at=utcnow())
        .returning(PasswordReset.user_id)
        .execution_options(synchronize_session=False)
    )
    user_id = taken.scalar_one_or_none()
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        raise UnprocessableEntity.for_field("body.token", _UNUSABLE, "unusable_token")
    # A refused password rolls the whole request back: the token stays usable.
    check_new_password(user, new_password, "body.new_password")
    await set_password(
        session, user, new_password, settings, None, revoke_api_tokens=revoke_api_tokens,
        action="reset_password", actor_label="password reset token",
    )  # fmt: skip
    await clear_failures(session, user.email)
