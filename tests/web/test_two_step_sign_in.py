"""Signing in to the workspace with a second factor: /login, then /login/code, with the API's
limits and words, and a pending sign-in that holds no password and works in one browser only."""

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.auth.router import REFUSED
from app.models.user import ApiToken, LoginFailure, Role
from app.models.web_session import WebPendingSignIn, WebSession
from tests.accounts import PASSWORD, make_user
from tests.web.pages import (
    browser,
    csrf_token,
    next_code,
    sign_in,
    sign_in_with_code,
    with_second_factor,
)


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _failures(app: FastAPI) -> int:
    return await _count(app, LoginFailure)


async def test_the_password_then_the_code_signs_in(app: FastAPI) -> None:
    user = await make_user(app, Role.coordinator)
    authenticator, _ = await with_second_factor(app, user)
    async with browser(app) as client:
        form = await client.get("/login?next=/recommendations")
        first = await client.post(
            "/login",
            data={"email": user.email, "password": PASSWORD, "next": "/recommendations",
                  "csrf_token": csrf_token(form)},
        )  # fmt: skip
        assert first.status_code == 303
        assert first.headers["location"] == "/login/code?next=%2Frecommendations"
        assert await _count(app, WebSession) == 0
        assert await _count(app, WebPendingSignIn) == 1
        step = await client.get(first.headers["location"])
        assert step.status_code == 200
        # The second step keeps no password, in a hidden field or anywhere else.
        assert PASSWORD not in step.text
        assert 'type="password"' not in step.text
        assert 'name="next" value="/recommendations"' in step.text
        done = await client.post(
            "/login/code",
            data={"code": next_code(authenticator), "next": "/recommendations",
                  "csrf_token": csrf_token(step)},
        )  # fmt: skip
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/recommendations"
        assert (await client.get("/account")).status_code == 200
    async with app.state.sessionmaker() as db:
        session = (await db.scalars(select(WebSession))).one()
    assert session.second_factor is True
    assert await _count(app, WebPendingSignIn) == 0


async def test_a_wrong_code_gets_the_apis_words_and_counts_as_a_failure(app: FastAPI) -> None:
    user = await make_user(app, Role.viewer)
    authenticator, _ = await with_second_factor(app, user)
    async with browser(app) as client:
        wrong = await sign_in_with_code(client, user.email, "123456")
        assert wrong.status_code == 401
        assert REFUSED in wrong.text
        assert await _failures(app) == 1
        assert await _count(app, WebSession) == 0
        # The pending sign-in stays for another try, as the API lets one send the code again.
        again = await client.post(
            "/login/code",
            data={"code": next_code(authenticator), "csrf_token": csrf_token(wrong)},
        )
        assert again.status_code == 303
    # A wrong password says the same as a wrong code, on the first step.
    async with browser(app) as client:
        refused = await sign_in(client, user.email, "not the password at all")
    assert refused.status_code == 401
    assert REFUSED in refused.text


async def test_a_recovery_code_signs_in_once(app: FastAPI) -> None:
    user = await make_user(app, Role.viewer)
    _, codes = await with_second_factor(app, user)
    async with browser(app) as client:
        assert (await sign_in_with_code(client, user.email, codes[0].upper())).status_code == 303
    async with browser(app) as client:
        assert (await sign_in_with_code(client, user.email, codes[0])).status_code == 401


async def test_wrong_codes_meet_the_login_limits(app: FastAPI) -> None:
    app.state.settings.login_failures_per_account_and_client = 3
    user = await make_user(app, Role.viewer)
    authenticator, _ = await with_second_factor(app, user)
    async with browser(app) as client:
        page = await sign_in_with_code(client, user.email, "000000")
        for n in range(1, 3):
            page = await client.post(
                "/login/code", data={"code": f"{n:06d}", "csrf_token": csrf_token(page)}
            )
            assert page.status_code == 401
        limited = await client.post(
            "/login/code",
            data={"code": next_code(authenticator), "csrf_token": csrf_token(page)},
        )
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in limited.text
    assert await _count(app, WebSession) == 0


async def test_the_pending_sign_in_works_in_its_own_browser_only(app: FastAPI) -> None:
    user = await make_user(app, Role.viewer)
    authenticator, _ = await with_second_factor(app, user)
    async with browser(app) as victim, browser(app) as thief:
        await sign_in(victim, user.email)
        form = await thief.get("/login")  # a pre-session of its own
        pending = str(victim.cookies["rectrack_pending_sign_in"])
        thief.cookies.set("rectrack_pending_sign_in", pending)
        stolen = await thief.post(
            "/login/code",
            data={"code": next_code(authenticator), "csrf_token": csrf_token(form)},
        )
        assert stolen.status_code == 303
        assert stolen.headers["location"] == "/login"
    assert await _count(app, WebSession) == 0
    assert await _count(app, WebPendingSignIn) == 0


async def test_the_pending_sign_in_expires_and_is_voided_by_a_password_change(
    app: FastAPI,
) -> None:
    user = await make_user(app, Role.viewer)
    authenticator, _ = await with_second_factor(app, user)
    async with browser(app) as client:
        await sign_in(client, user.email)
        async with app.state.sessionmaker() as db, db.begin():
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            await db.execute(update(WebPendingSignIn).values(expires_at=past))
        late = await client.get("/login/code")
        assert late.status_code == 303
        assert late.headers["location"] == "/login"
        assert "took too long" in (await client.get("/login")).text
        await sign_in(client, user.email)
        # Meanwhile an admin resets the password (session_version moves).
        async with app.state.sessionmaker() as db, db.begin():
            await db.execute(update(type(user)).values(session_version=2))
        form = await client.get("/login")
        voided = await client.post(
            "/login/code",
            data={"code": next_code(authenticator), "csrf_token": csrf_token(form)},
        )
        assert voided.status_code == 303
        assert voided.headers["location"] == "/login"
    assert await _count(app, WebSession) == 0


async def test_required_second_factor_sends_the_coordinator_to_enrol_first(
    app: FastAPI,
) -> None:
    app.state.settings.require_2fa = True
    user = await make_user(app, Role.coordinator)
    async with browser(app) as client:
        signed = await sign_in(client, user.email)
        assert signed.status_code == 303
        assert signed.headers["location"] == "/account"
        for path in ("/", "/recommendations"):
            page = await client.get(path)
            assert page.status_code == 303, path
            assert page.headers["location"] == "/account"
        account = await client.get("/account")
        assert account.status_code == 200
        assert "Your role signs in with a second factor." in account.text
        assert 'action="/account/two-factor/start"' in account.text
        assert 'action="/account/tokens"' not in account.text
        assert 'action="/account/language"' not in account.text
        # Nor can a form of another page be sent: nothing is written.
        forged = await client.post(
            "/account/tokens", data={"csrf_token": csrf_token(account), "name": "backdoor"}
        )
        assert forged.status_code == 303
        assert forged.headers["location"] == "/account"
        assert await _count(app, ApiToken) == 0
        # Signing out is allowed.
        out = await client.post("/logout", data={"csrf_token": csrf_token(account)})
        assert out.status_code == 303
    # A viewer is not asked for one.
    viewer = await make_user(app, Role.viewer)
    async with browser(app) as client:
        assert (await sign_in(client, viewer.email)).headers["location"] == "/"
