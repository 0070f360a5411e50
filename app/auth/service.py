"""Checking credentials: signing in (for the API and, later, the web form), tokens, and asking
a signed-in person for their password or code again. Failures are limited (app.auth.limits)."""

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record_event
from app.auth import limits
from app.auth.permissions import ROLES_NEEDING_2FA
from app.auth.principal import Principal
from app.auth.security import (
    api_token_lookup_prefix,
    decode_access_token,
    hashing_slot,
    same_secret,
    used_second_factor,
    verify_password_in_thread,
)
from app.config import Settings
from app.models.base import utcnow
from app.models.user import ApiToken, Role, TokenScope, User
from app.two_factor import service as two_factor

# Recording every use would turn each read into a write; a minute's precision is enough.
_LAST_USED_PRECISION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    user: User
    # Whether a one-time code was checked (the login token says so).
    second_factor: bool


@dataclass(frozen=True)
class SecondFactorRequired:
    """The password is right; the account needs a code from its authenticator app too."""

    user: User


@dataclass(frozen=True)
class Refused:
    """Wrong email, password or code, or a deactivated account: the caller is not told which.
    With `retry_after`, the attempt was not even checked: too many failures; wait that long."""

    retry_after: int | None = None


SignInOutcome = SignedIn | SecondFactorRequired | Refused


def must_enrol(user: User, second_factor: bool, settings: Settings) -> bool:
    return settings.require_2fa and user.role in ROLES_NEEDING_2FA and not second_factor


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
    enrol = must_enrol(user, used_second_factor(claims), settings)
    return Principal(user=user, role=user.role, api_token_id=None, client=client, must_enrol=enrol)


async def principal_from_api_token(
    session: AsyncSession, secret: str, client: str | None, settings: Settings
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
    # A token carries no second factor of its own: the account must have one where it is
    # required, or the token serves no more than the account's enrolment would.
    enrol = (
        settings.require_2fa
        and user.role in ROLES_NEEDING_2FA
        and not await two_factor.is_enrolled(session, user.id)
    )
    return Principal(user=user, role=role, api_token_id=token.id, client=client, must_enrol=enrol)


async def _fail(
    session: AsyncSession, email: str, user: User | None, client: str, what: str
) -> Refused:
    """The attempt's record (limits.reserve) stands as the failure; the audit says what failed."""
    changes = {"email": {"before": None, "after": email}, "factor": {"before": None, "after": what}}
    await record_event(
        session, None, "login_failed", "user", str(user.id) if user else None, changes,
        client=client,
    )  # fmt: skip
    return Refused()


async def authenticate(
    session: AsyncSession,
    email: str,
    password: str,
    client: str | None,
    settings: Settings,
    *,
    code: str | None = None,
) -> SignInOutcome:
    """Sign in with email, password and, for an account that has one, a second-factor code
    (six digits from the app, or a recovery code). The one sign-in check, for the API's token
    endpoint and the workspace's form alike.

    The attempt is recorded before anything is checked, and while the account or the client
    address is over its limit of failures it is refused unchecked, whatever the password: a
    right guess must not get through, nor parallel guesses past the limit. The password is
    hashed in a thread, in one of a bounded number of slots (ServiceUnavailable when none is
    free), with no database connection held by the request meanwhile.
    """
    email = email.strip().lower()
    key = limits.client_key(client)
    async with hashing_slot(settings):
        attempt = await limits.reserve(session, email, key, settings)
        if attempt.retry_after is not None:
            return Refused(retry_after=attempt.retry_after)
        # verify_password spends the same time whether or not the account exists.
        valid = await verify_password_in_thread(attempt.password_hash, password, settings)
    user = await session.get(User, attempt.user_id) if attempt.user_id is not None else None
    if user is None or not valid or not user.active:
        return await _fail(session, email, user, key, "password")
    if not await two_factor.is_enrolled(session, user.id):
        await limits.record_success(session, user, key)
        return SignedIn(user, second_factor=False)
    if not code:
        await limits.release(session, attempt)
        return SecondFactorRequired(user)
    return await _check_code(session, user, key, code, settings)


async def authenticate_code(
    session: AsyncSession, user: User, code: str, client: str | None, settings: Settings
) -> SignInOutcome:
    """The second step of a sign-in that answered SecondFactorRequired moments ago, for a caller
    that kept who was signing in but not the password (the workspace's pending sign-in): the
    code alone, under the same limits and failure records as authenticate."""
    key = limits.client_key(client)
    attempt = await limits.reserve(session, user.email, key, settings, user)
    if attempt.retry_after is not None:
        return Refused(retry_after=attempt.retry_after)
    if not user.active:
        return await _fail(session, user.email, user, key, "code")
    return await _check_code(session, user, key, code, settings)


async def _check_code(
    session: AsyncSession, user: User, client: str, code: str, settings: Settings
) -> SignInOutcome:
    if not await two_factor.take_code(session, user, code, settings):
        return await _fail(session, user.email, user, client, "code")
    # Forgets this address's failures on the account, the attempt's own record among them.
    await limits.record_success(session, user, client)
    return SignedIn(user, second_factor=True)


async def confirm_password(
    session: AsyncSession, principal: Principal, password: str, settings: Settings
) -> Refused | None:
    """None if `password` is the signed-in person's; else the refusal, counted as a failed
    login (so that a stolen login token cannot be used to guess the password)."""
    user, key = principal.user, limits.client_key(principal.client)
    async with hashing_slot(settings):
        attempt = await limits.reserve(session, user.email, key, settings, user)
        if attempt.retry_after is not None:
            return Refused(retry_after=attempt.retry_after)
        valid = await verify_password_in_thread(user.password_hash, password, settings)
    if valid:
        # A code may be asked for next in this request (app/two_factor).
        await limits.release(session, attempt, at_once=True)
        return None
    return await _fail(session, user.email, user, key, "password")


async def confirm_code(
    session: AsyncSession, principal: Principal, code: str, settings: Settings
) -> Refused | None:
    """As confirm_password, for a second-factor code (which is used up if right)."""
    user, key = principal.user, limits.client_key(principal.client)
    attempt = await limits.reserve(session, user.email, key, settings, user)
    if attempt.retry_after is not None:
        return Refused(retry_after=attempt.retry_after)
    if await two_factor.take_code(session, user, code, settings):
        await limits.release(session, attempt)
        return None
    return await _fail(session, user.email, user, key, "code")
