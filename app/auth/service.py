"""Checking credentials, and limiting and recording failed logins."""

import datetime as dt
import math
import uuid

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.audit.service import record_event
from app.auth.principal import Principal
from app.auth.security import (
    api_token_lookup_prefix,
    decode_access_token,
    same_secret,
    verify_password,
)
from app.config import Settings
from app.errors import TooManyRequests
from app.models.base import utcnow
from app.models.user import ApiToken, LoginFailure, Role, TokenScope, User

# Recording every use would turn each read into a write; a minute's precision is enough.
_LAST_USED_PRECISION = dt.timedelta(minutes=1)


async def principal_from_access_token(
    session: AsyncSession, token: str, client: str | None, settings: Settings
) -> Principal | None:
    claims = decode_access_token(token, settings)
    if claims is None:
        return None
    try:
        user_id = uuid.UUID(str(claims["sub"]))
    except ValueError:
        return None
    user = await session.get(User, user_id)
    if user is None or not user.active or user.session_version != claims["sv"]:
        return None
    return Principal(user=user, role=user.role, api_token_id=None, client=client)


async def principal_from_api_token(
    session: AsyncSession, secret: str, client: str | None
) -> Principal | None:
    prefix = api_token_lookup_prefix(secret)
    if prefix is None:
        return None
    token = (
        await session.scalars(select(ApiToken).where(ApiToken.lookup_prefix == prefix))
    ).one_or_none()
    if token is None or not same_secret(token.secret_hash, secret):
        return None
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    user = await session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_PRECISION:
        token.last_used_at = now
    role = user.role if token.scope is TokenScope.write else Role.viewer
    return Principal(user=user, role=role, api_token_id=token.id, client=client)


async def _refuse_if_limited(
    session: AsyncSession,
    column: InstrumentedAttribute[str],
    value: str,
    limit: int,
    settings: Settings,
) -> None:
    window = dt.timedelta(minutes=settings.login_window_minutes)
    now = utcnow()
    count, oldest = (
        await session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                column == value,
                LoginFailure.at > now - window,
            )
        )
    ).one()
    if count >= limit:
        oldest_at = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
        retry_after = max(1, math.ceil((oldest_at + window - now).total_seconds()))
        raise TooManyRequests(
            "Too many failed logins. Wait before trying again.",
            headers={"Retry-After": str(retry_after)},
        )


async def authenticate(
    session: AsyncSession, email: str, password: str, client: str | None, settings: Settings
) -> User | None:
    """The active user with these credentials, or None (then the failure is recorded).

    Raises TooManyRequests while the account or the client address is over its limit of
    failures, whatever the password: a correct guess must not get through a lock-out.
    """
    email = email.strip().lower()
    client_key = client or "unknown"
    await _refuse_if_limited(
        session, LoginFailure.email, email, settings.login_failures_per_account, settings
    )
    await _refuse_if_limited(
        session, LoginFailure.client, client_key, settings.login_failures_per_client, settings
    )
    user = (await session.scalars(select(User).where(User.email == email))).one_or_none()
    # verify_password spends the same time whether or not the account exists.
    valid = verify_password(user.password_hash if user else None, password, settings)
    if user is not None and valid and user.active:
        return user
    now = utcnow()
    # Failures older than the window no longer count: drop this account's and this address's,
    # so that the table holds about one window of failures rather than growing for ever.
    await session.execute(
        delete(LoginFailure).where(
            or_(LoginFailure.email == email, LoginFailure.client == client_key),
            LoginFailure.at < now - dt.timedelta(minutes=settings.login_window_minutes),
        )
    )
    session.add(LoginFailure(email=email, client=client_key, at=now))
    await record_event(
        session,
        None,
        "login_failed",
        "user",
        str(user.id) if user else None,
        {"email": {"before": None, "after": email}},
        client=client,
    )
    await session.flush()
    return None
