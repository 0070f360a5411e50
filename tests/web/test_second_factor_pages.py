"""Two-factor sign-in on /account: enrolling with the QR code or the key, recovery codes shown
once, new ones, turning it off; and an admin's removal ending the person's sessions."""

import re

import pyotp
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from app.models.credentials import TotpCredential
from app.models.user import LoginFailure, Role
from tests.accounts import PASSWORD, bearer, make_user
from tests.web.pages import (
    browser,
    csrf_token,
    next_code,
    sign_in,
    sign_in_with_code,
    signed_in_browser,
    with_second_factor,
)

_SECRET = re.compile(r'<code class="secret"[^>]*>([A-Z2-7 ]+)</code>')
_RECOVERY = re.compile(r"<li><code[^>]*>([a-z0-9-]{19})</code></li>")


async def _post(client: AsyncClient, path: str, **fields: str) -> Response:
    page = await client.get("/account")
    return await client.post(path, data={"csrf_token": csrf_token(page), **fields})


async def _enrol(client: AsyncClient) -> tuple[pyotp.TOTP, list[str]]:
    started = await _post(client, "/account/two-factor/start", password=PASSWORD)
    assert started.status_code == 200, started.text
    assert started.headers["cache-control"] == "no-store"
    found = _SECRET.search(started.text)
    assert found, "the page shows the key"
    authenticator = pyotp.TOTP(found.group(1).replace(" ", ""))
    confirmed = await client.post(
        "/account/two-factor/confirm",
        data={"csrf_token": csrf_token(started), "code": authenticator.now()},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["cache-control"] == "no-store"
    codes = _RECOVERY.findall(confirmed.text)
    assert len(codes) == 10
    return authenticator, codes


async def test_enrolling_shows_a_clean_qr_code_and_the_recovery_codes_once(app: FastAPI) -> None:
    client, person = await signed_in_browser(app, Role.focal_point)
    page = await client.get("/account")
    assert "Two-factor sign-in" in page.text
    wrong = await _post(client, "/account/two-factor/start", password="not my password")
    assert wrong.status_code == 422
    assert 'id="f-password-error"' in wrong.text
    started = await _post(client, "/account/two-factor/start", password=PASSWORD)
    svg = started.text[started.text.index("<svg") : started.text.index("</svg>") + 6]
    assert "<path" in svg
    assert "script" not in svg
    assert 'aria-hidden="true"' in svg
    assert 'aria-label="QR code to scan with your authenticator app"' in started.text
    # A wrong first code leaves it pending, and the account page asks for the code again.
    bad = await client.post(
        "/account/two-factor/confirm", data={"csrf_token": csrf_token(started), "code": "000000"}
    )
    assert bad.status_code == 422
    assert 'action="/account/two-factor/confirm"' in bad.text
    secret = _SECRET.search(started.text)
    assert secret
    authenticator = pyotp.TOTP(secret.group(1).replace(" ", ""))
    confirmed = await client.post(
        "/account/two-factor/confirm",
        data={"csrf_token": csrf_token(bad), "code": authenticator.now()},
    )
    codes = _RECOVERY.findall(confirmed.text)
    assert len(codes) == 10
    account = await client.get("/account")
    assert "Recovery codes left: 10" in account.text
    assert secret.group(1) not in account.text
    assert codes[0] not in account.text
    # The person now signs in with a code.
    async with browser(app) as other:
        first = await sign_in(other, person.email)
        assert first.headers["location"] == "/login/code"
    await client.aclose()


async def test_new_recovery_codes_and_turning_it_off_need_the_password_and_a_code(
    app: FastAPI,
) -> None:
    client, person = await signed_in_browser(app, Role.viewer)
    authenticator, old = await _enrol(client)
    wrong = await _post(
        client, "/account/two-factor/recovery-codes", password="nope", code=next_code(authenticator)
    )
    assert wrong.status_code == 422
    assert 'id="f-password-error"' in wrong.text
    wrong = await _post(
        client, "/account/two-factor/recovery-codes", password=PASSWORD, code="999999"
    )
    assert wrong.status_code == 422
    assert 'id="f-code-error"' in wrong.text
    async with app.state.sessionmaker() as db:
        failures = (await db.execute(select(func.count()).select_from(LoginFailure))).scalar_one()
    assert failures == 2  # both count as failed sign-ins, as on the API
    fresh = await _post(
        client, "/account/two-factor/recovery-codes", password=PASSWORD, code=old[0]
    )
    assert fresh.status_code == 200, fresh.text
    new = _RECOVERY.findall(fresh.text)
    assert len(new) == 10
    assert not set(new) & set(old)
    off = await _post(client, "/account/two-factor/disable", password=PASSWORD, code=new[0])
    assert off.status_code == 303
    assert "Two-factor sign-in is off." in (await client.get("/account")).text
    async with app.state.sessionmaker() as db:
        assert await db.get(TotpCredential, person.id) is None
    # This session goes on; signing in needs the password alone again.
    assert (await client.get("/account")).status_code == 200
    async with browser(app) as other:
        assert (await sign_in(other, person.email)).headers["location"] == "/"
    await client.aclose()


async def test_enrolling_under_required_2fa_opens_the_workspace(app: FastAPI) -> None:
    app.state.settings.require_2fa = True
    user = await make_user(app, Role.admin)
    async with browser(app) as client:
        await sign_in(client, user.email)
        before = client.cookies["rectrack_session"]
        assert (await client.get("/recommendations")).headers["location"] == "/account"
        await _enrol(client)
        # A new session, signed in with a second factor: the whole workspace opens.
        assert client.cookies["rectrack_session"] != before
        assert (await client.get("/recommendations")).status_code == 200
        assert 'action="/account/tokens"' in (await client.get("/account")).text


async def test_an_admins_removal_of_the_second_factor_ends_the_sessions(app: FastAPI) -> None:
    admin = await make_user(app, Role.admin)
    person = await make_user(app, Role.coordinator)
    authenticator, _ = await with_second_factor(app, person)
    async with browser(app) as client:
        signed = await sign_in_with_code(client, person.email, next_code(authenticator))
        assert signed.status_code == 303
        assert (await client.get("/account")).status_code == 200
        removed = await client.delete(
            f"/api/v1/users/{person.id}/two-factor", headers=bearer(app, admin)
        )
        assert removed.status_code == 204
        assert (await client.get("/account")).status_code == 303  # to /login


async def test_turning_it_on_or_off_ends_the_persons_other_sessions(app: FastAPI) -> None:
    """A session taken before the change (say a cookie stolen on a shared computer) does not
    outlive it; the browser that made the change goes on, with a new cookie."""
    client, person = await signed_in_browser(app, Role.viewer)
    async with browser(app) as other:
        await sign_in(other, person.email)
        assert (await other.get("/account")).status_code == 200
        before = client.cookies["rectrack_session"]
        authenticator, codes = await _enrol(client)
        assert (await other.get("/account")).status_code == 303  # to /login
        assert client.cookies["rectrack_session"] != before
        assert (await client.get("/account")).status_code == 200
        await sign_in_with_code(other, person.email, next_code(authenticator))
        assert (await other.get("/account")).status_code == 200
        before = client.cookies["rectrack_session"]
        off = await _post(client, "/account/two-factor/disable", password=PASSWORD, code=codes[0])
        assert off.status_code == 303
        assert (await other.get("/account")).status_code == 303
        assert client.cookies["rectrack_session"] != before
        assert (await client.get("/account")).status_code == 200
    await client.aclose()
