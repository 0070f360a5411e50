"""A sign-in waiting for its second factor: the step between /login and /login/code.

The password was right; the account has a second factor. What is kept is who is signing in,
never the password: a row keyed by the SHA-256 of a random token in its own cookie, bound to the
browser's pre-session (the cookie behind the sign-in form's CSRF token), valid for a few minutes
and voided by a password change or reset, or a second factor removed by an admin
(session_version). The sign-in it completes deletes it.
"""

import datetime as dt
import hmac
import secrets

from fastapi import Request
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.models.user import User
from app.models.web_session import WebPendingSignIn
from app.web.cookies import read_cookie
from app.web.sessions import WebContext, token_digest

PENDING_COOKIE = "rectrack_pending_sign_in"
PENDING_LIFETIME = dt.timedelta(minutes=5)


async def begin(db: AsyncSession, context: WebContext, user: User) -> None:
    """Remember that `user` gave the right password in this browser, for a few minutes."""
    now = utcnow()
    await db.execute(delete(WebPendingSignIn).where(WebPendingSignIn.expires_at <= now))
    token = secrets.token_urlsafe(32)
    db.add(
        WebPendingSignIn(
            id=token_digest(token), user_id=user.id, session_version=user.session_version,
            presession=token_digest(context.ensure_presession()), created_at=now,
            expires_at=now + PENDING_LIFETIME,
        )
    )  # fmt: skip
    await db.flush()
    context.cookies[PENDING_COOKIE] = token


async def find(
    db: AsyncSession, request: Request, context: WebContext
) -> tuple[WebPendingSignIn, User] | None:
    """This browser's pending sign-in and its account, or None (and the cookie cleared) when
    there is none that may still be completed."""
    token = read_cookie(request, PENDING_COOKIE)
    if not token:
        return None
    row = await db.get(WebPendingSignIn, token_digest(token))
    user = await db.get(User, row.user_id) if row is not None else None
    same_browser = (
        row is not None
        and context.presession is not None
        and hmac.compare_digest(row.presession, token_digest(context.presession))
    )
    if (
        row is None
        or user is None
        or not same_browser
        or row.expires_at <= utcnow()
        or not user.active
        or user.session_version != row.session_version
    ):
        if row is not None:
            await db.delete(row)
        context.cookies[PENDING_COOKIE] = None
        return None
    return row, user


async def finish(db: AsyncSession, context: WebContext, row: WebPendingSignIn) -> None:
    """The sign-in is complete: the pending one is used up."""
    await db.delete(row)
    await db.flush()
    context.cookies[PENDING_COOKIE] = None
