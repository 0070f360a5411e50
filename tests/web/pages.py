"""Helpers for page tests: a browser-like client that keeps cookies, signs in, reads forms."""

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pyotp
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

from app.auth import totp
from app.models.base import utcnow
from app.models.credentials import RecoveryCode, TotpCredential
from app.models.user import Role, User
from tests.accounts import PASSWORD, make_user

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

Browser = Callable[..., Awaitable[AsyncClient]]


def csrf_token(page: Response | str) -> str:
    html = page if isinstance(page, str) else page.text
    found = _TOKEN.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@asynccontextmanager
async def browser(app: FastAPI, *, https: bool = False) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    base = "https://test" if https else "http://test"
    async with AsyncClient(transport=transport, base_url=base, follow_redirects=False) as client:
        yield client


async def sign_in(client: AsyncClient, email: str, password: str = PASSWORD) -> Response:
    form = await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(form), "next": "/"},
    )


async def signed_in_browser(app: FastAPI, role: Role, **user: object) -> tuple[AsyncClient, User]:
    """A cookie-keeping client signed in as a new user of `role` (close it with aclose())."""
    person = await make_user(app, role, **user)  # type: ignore[arg-type]
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    client = AsyncClient(transport=transport, base_url="http://test")
    answer = await sign_in(client, person.email)
    assert answer.status_code == 303, answer.text
    return client, person


async def with_second_factor(app: FastAPI, user: User) -> tuple[pyotp.TOTP, list[str]]:
    """Give `user` a confirmed TOTP second factor and recovery codes, straight in the database."""
    secret = totp.new_secret()
    codes = totp.new_recovery_codes()
    sealed = totp.encrypt_secret(secret, user.id, app.state.settings)
    async with app.state.sessionmaker() as db, db.begin():
        db.add(
            TotpCredential(
                user_id=user.id, secret_encrypted=sealed, created_at=utcnow(), confirmed_at=utcnow()
            )
        )
        db.add_all(
            RecoveryCode(id=uuid.uuid4(), user_id=user.id, code_hash=totp.hash_recovery_code(c))
            for c in codes
        )
    return pyotp.TOTP(secret), codes


def next_code(authenticator: pyotp.TOTP) -> str:
    """The code of the next time step: accepted (clocks drift), and not used yet."""
    return authenticator.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))


async def sign_in_with_code(client: AsyncClient, email: str, code: str) -> Response:
    """Both steps of signing in to an account with a second factor; answers the second."""
    first = await sign_in(client, email)
    assert first.status_code == 303, first.text
    assert first.headers["location"].startswith("/login/code")
    form = await client.get("/login/code")
    assert form.status_code == 200, form.text
    return await client.post("/login/code", data={"code": code, "csrf_token": csrf_token(form)})
