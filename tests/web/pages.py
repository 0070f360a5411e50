"""Helpers for page tests: a browser-like client that keeps cookies, signs in, reads forms."""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response

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
