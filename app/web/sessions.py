"""Workspace sessions: a database row behind an HttpOnly cookie, and CSRF tokens (DESIGN §9).

The cookie holds a random token; the row is keyed by its SHA-256. A session ends when its person
signs out, after `session_idle_hours` without a request, `session_max_hours` after signing in,
or when the account's session_version moves (a password change or reset, a deactivation, a
second factor removed by an admin). The cookie authenticates pages only: /api/v1 reads bearer
tokens alone (app/auth/dependencies.py).

Under RECTRACK_REQUIRE_2FA, an admin's or coordinator's session signed in without a second factor
reaches the enrolment pages only (ENROLMENT_PAGES); every other page sends it there.

Every state-changing form carries a synchronizer token: the session's csrf_secret, or, before
signing in, an HMAC of a random pre-session cookie under the server's secret key.
"""

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.dependencies import client_address
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.auth.service import must_enrol
from app.config import Settings
from app.db import SessionDep
from app.errors import Forbidden
from app.models.base import utcnow
from app.models.user import User
from app.models.web_session import WebSession
from app.secret_key import derived_key
from app.web.cookies import cookie_name, read_cookie
from app.web.i18n import N_, Message

SESSION_COOKIE = "rectrack_session"
PRESESSION_COOKIE = "rectrack_presession"
CSRF_FIELD = "csrf_token"
# Seeing a session again within this long does not write its last_seen_at: reads stay reads.
_TOUCH_PRECISION = dt.timedelta(minutes=1)


# What a session that must enrol a second factor may open; the rest redirect to /account.
ENROLMENT_PAGES = frozenset({"/account", "/account/password", "/logout"})
ENROLMENT_PREFIXES = ("/account/two-factor/", "/language/", "/reset-password")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class WebContext:
    """Who is asking for a page, and what the response must do to their cookies."""

    principal: Principal | None
    row: WebSession | None
    settings: Settings
    presession: str | None = None
    # Plain copies of what the layout shows: an error page is rendered after the request's
    # transaction has been rolled back, when the ORM objects can no longer be read.
    csrf_secret: str | None = None
    display_name: str | None = None
    # Cookies the response sets (name → value) or clears (value None).
    cookies: dict[str, str | None] = field(default_factory=dict)

    def signed_in(self, row: WebSession, user: User, client: str | None) -> None:
        self.row, self.csrf_secret, self.display_name = row, row.csrf_secret, user.name
        enrol = must_enrol(user, row.second_factor, self.settings)
        self.principal = Principal(
            user=user, role=user.role, api_token_id=None, client=client, must_enrol=enrol
        )

    def signed_out(self) -> None:
        self.row = self.principal = self.csrf_secret = self.display_name = None

    def ensure_presession(self) -> str:
        """The browser's pre-session (a random cookie), made now if it has none."""
        if self.presession is None:
            self.presession = secrets.token_urlsafe(32)
            self.cookies[PRESESSION_COOKIE] = self.presession
        return self.presession

    @property
    def csrf_token(self) -> str:
        if self.csrf_secret is not None:
            return self.csrf_secret
        return _presession_token(self.ensure_presession(), self.settings)

    def can(self, permission: Permission) -> bool:
        return self.principal is not None and self.principal.can(permission)


def _presession_token(presession: str, settings: Settings) -> str:
    key = derived_key(settings, "workspace forms before sign-in")
    return hmac.new(key, presession.encode(), hashlib.sha256).hexdigest()


def _idle_limit(settings: Settings) -> dt.timedelta:
    return dt.timedelta(hours=settings.session_idle_hours)


async def _live_session(
    db: AsyncSession, token: str, settings: Settings
) -> tuple[WebSession, User] | None:
    row = await db.get(WebSession, token_digest(token))
    if row is None:
        return None
    user = await db.get(User, row.user_id)
    now = utcnow()
    if (
        user is None
        or not user.active
        or user.session_version != row.session_version
        or now - row.last_seen_at > _idle_limit(settings)
        or now - row.created_at > dt.timedelta(hours=settings.session_max_hours)
    ):
        await db.delete(row)
        return None
    if now - row.last_seen_at > _TOUCH_PRECISION:
        row.last_seen_at = now
    return row, user


async def web_context(request: Request, db: SessionDep) -> WebContext:
    settings: Settings = request.app.state.settings
    context = WebContext(
        principal=None,
        row=None,
        settings=settings,
        presession=read_cookie(request, PRESESSION_COOKIE),
    )
    token = read_cookie(request, SESSION_COOKIE)
    if token:
        found = await _live_session(db, token, settings)
        if found is None:
            context.cookies[SESSION_COOKIE] = None
        else:
            context.signed_in(*found, client_address(request))
    # Error pages rendered after this point show the same header (signed in or not).
    request.state.web = context
    if context.principal is not None and context.principal.must_enrol:
        path = request.url.path
        if path not in ENROLMENT_PAGES and not path.startswith(ENROLMENT_PREFIXES):
            raise EnrolmentRequired("Enrol a second factor first.")
    return context


WebDep = Annotated[WebContext, Depends(web_context)]


async def start_session(
    db: AsyncSession, request: Request, context: WebContext, user: User, *, second_factor: bool
) -> None:
    """Sign `user` in: a new row and a new cookie (never one the browser had before).
    `second_factor`: whether the sign-in checked a code."""
    settings = context.settings
    oldest = utcnow() - dt.timedelta(hours=settings.session_max_hours)
    await db.execute(
        delete(WebSession).where(
            or_(
                WebSession.last_seen_at < utcnow() - _idle_limit(settings),
                WebSession.created_at < oldest,
            )
        )
    )
    if context.row is not None:
        # Signing in again in the same browser replaces its session.
        await db.delete(context.row)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = WebSession(
        id=token_digest(token),
        user_id=user.id,
        session_version=user.session_version,
        second_factor=second_factor,
        csrf_secret=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
        client=client_address(request),
    )
    db.add(row)
    await db.flush()
    context.signed_in(row, user, row.client)
    context.cookies[SESSION_COOKIE] = token


async def end_session(db: AsyncSession, context: WebContext) -> None:
    if context.row is not None:
        await db.delete(context.row)
        await db.flush()
    context.signed_out()
    context.cookies[SESSION_COOKIE] = None


async def keep_only_this_session(
    db: AsyncSession, request: Request, context: WebContext, *, second_factor: bool | None = None
) -> None:
    """After the person changed their own password or second factor: every session of theirs
    ends, this one included, and this browser gets a new one (a new token: one stolen before the
    change is worth nothing after it), as signed in as before unless `second_factor` says."""
    assert context.row is not None
    assert context.principal is not None
    user = context.principal.user
    if second_factor is None:
        second_factor = context.row.second_factor
    await db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    context.row = None
    await start_session(db, request, context, user, second_factor=second_factor)


def apply_cookies(request: Request, response: Response, context: WebContext | None) -> None:
    if context is None:
        return
    secure = request.url.scheme == "https"
    for base_name, value in context.cookies.items():
        name = cookie_name(request, base_name)
        if value is None:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
        else:
            response.set_cookie(name, value, path="/", secure=secure, httponly=True, samesite="lax")


class CsrfRefused(Forbidden):
    page_message = Message(
        N_(
            "This form was not sent from this page, or it has expired. Nothing was changed. "
            "Go back, reload the page and try again."
        )
    )


class SignInRequired(Forbidden):
    """Answered on a page with a redirect to /login (app/web/errors.py)."""


class EnrolmentRequired(Forbidden):
    """Answered on a page with a redirect to /account, where the second factor is enrolled."""


async def csrf_checked(request: Request, context: WebDep) -> WebContext:
    """Refuse (403, nothing written) a form whose token is not this browser's."""
    form = await request.form()
    check_csrf(context, form.get(CSRF_FIELD))
    return context


def check_csrf(context: WebContext, sent: object) -> None:
    """The check itself, for a form read another way (an upload streamed to disk)."""
    expected = context.csrf_secret
    if expected is None and context.presession is not None:
        expected = _presession_token(context.presession, context.settings)
    if not isinstance(sent, str) or expected is None or not hmac.compare_digest(sent, expected):
        raise CsrfRefused("The form's CSRF token is missing or wrong.")


CsrfDep = Annotated[WebContext, Depends(csrf_checked)]


@cache
def page_requires(permission: Permission) -> Any:
    """The pages' twin of app.auth.dependencies.requires: the same Permission decides; the
    signed-out are sent to /login, the signed-in without it get a 403 page."""

    async def check(context: WebDep) -> Principal:
        if context.principal is None:
            raise SignInRequired("Sign in to see this page.")
        if not context.principal.can(permission):
            raise Forbidden(f"Your role ({context.principal.role}) does not allow this.")
        return context.principal

    check.__name__ = f"page_requires_{permission}"
    return Depends(check)


async def signed_in(context: WebDep) -> Principal:
    if context.principal is None:
        raise SignInRequired("Sign in to see this page.")
    return context.principal


SignedInDep = Annotated[Principal, Depends(signed_in)]


async def roll_back(db: AsyncSession, context: WebContext) -> None:
    """Undo what a failed form wrote, then read the signed-in account again (a rollback expires
    it, and the page shown next reads it)."""
    await db.rollback()
    if context.principal is not None:
        await db.refresh(context.principal.user)
