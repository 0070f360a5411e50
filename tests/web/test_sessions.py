"""Workspace sessions (DESIGN §9): cookie attributes, ending them, CSRF, and no API access."""

import datetime as dt

from fastapi import FastAPI
from sqlalchemy import func, select, update

from app.auth.router import REFUSED
from app.models.user import LoginFailure, Role
from app.models.web_session import WebSession
from tests.accounts import PASSWORD, bearer, make_user
from tests.web.pages import browser, csrf_token, sign_in, signed_in_browser

ACCOUNT = "/account"


async def _sessions(app: FastAPI) -> int:
    async with app.state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(WebSession))).scalar_one())


async def test_the_cookie_is_httponly_lax_and_secure_over_https(app: FastAPI) -> None:
    user = await make_user(app, Role.viewer)
    async with browser(app) as plain:
        cookie = (await sign_in(plain, user.email)).headers["set-cookie"]
        assert "rectrack_session=" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
    async with browser(app, https=True) as secure:
        signed_in = await sign_in(secure, user.email)
        cookie = next(
            c for c in signed_in.headers.get_list("set-cookie") if "rectrack_session=" in c
        )
        # The __Host- prefix: only a Secure cookie for the whole host, with no Domain, is kept.
        assert cookie.startswith("__Host-rectrack_session=")
        assert "Secure" in cookie
        assert "Path=/" in cookie
        assert "Domain" not in cookie
        assert (await secure.get("/account")).status_code == 200
        # A cookie planted without the prefix (by a plain-HTTP page or a sibling host) is no one.
        token = secure.cookies["__Host-rectrack_session"]
        secure.cookies.clear()
        secure.cookies.set("rectrack_session", token)
        assert (await secure.get("/account")).status_code == 303
    # The database keeps a digest of the token, never the token itself.
    async with app.state.sessionmaker() as db:
        ids = (await db.scalars(select(WebSession.id))).all()
    assert len(ids) == 2
    assert all(len(i) == 64 for i in ids)


async def test_a_wrong_password_gets_the_apis_message_and_counts_as_a_failure(
    app: FastAPI,
) -> None:
    user = await make_user(app, Role.viewer)
    async with browser(app) as client:
        wrong = await sign_in(client, user.email, "not the password at all")
        unknown = await sign_in(client, "nobody@example.org", "not the password at all")
    for page in (wrong, unknown):
        assert page.status_code == 401
        assert REFUSED in page.text
    async with app.state.sessionmaker() as db:
        failures = (await db.execute(select(func.count()).select_from(LoginFailure))).scalar_one()
    assert failures == 2
    assert await _sessions(app) == 0


async def test_the_apis_login_limits_apply(app: FastAPI) -> None:
    app.state.settings.login_failures_per_account_and_client = 2
    user = await make_user(app, Role.viewer)
    async with browser(app) as client:
        for _ in range(2):
            assert (await sign_in(client, user.email, "wrong-wrong-wrong")).status_code == 401
        limited = await sign_in(client, user.email)  # even with the right password
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) > 0
    assert "Too many failed sign-ins" in limited.text


async def test_sign_out_deletes_the_session(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.viewer)
    stolen = client.cookies.get("rectrack_session")
    page = await client.get(ACCOUNT)
    out = await client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 303
    assert await _sessions(app) == 0
    async with browser(app) as other:
        other.cookies.set("rectrack_session", str(stolen))
        assert (await other.get(ACCOUNT)).status_code == 303  # to /login
    await client.aclose()


async def test_a_password_change_or_deactivation_through_the_api_ends_sessions(
    app: FastAPI,
) -> None:
    admin = await make_user(app, Role.admin)
    first, person = await signed_in_browser(app, Role.coordinator)
    second, other = await signed_in_browser(app, Role.viewer)
    async with browser(app) as api:
        changed = await api.post(
            "/api/v1/users/me/password",
            json={"current_password": PASSWORD, "new_password": "a quite different passphrase 7"},
            headers=bearer(app, person),
        )
        assert changed.status_code == 204
        current = await api.get(f"/api/v1/users/{other.id}", headers=bearer(app, admin))
        deactivated = await api.patch(
            f"/api/v1/users/{other.id}", json={"active": False},
            headers={**bearer(app, admin), "If-Match": current.headers["etag"]},
        )  # fmt: skip
        assert deactivated.status_code == 200
        reactivated = await api.patch(
            f"/api/v1/users/{other.id}", json={"active": True},
            headers={**bearer(app, admin), "If-Match": deactivated.headers["etag"]},
        )  # fmt: skip
        assert reactivated.status_code == 200
    assert (await first.get(ACCOUNT)).status_code == 303
    # Reactivating the account does not bring the session back.
    assert (await second.get(ACCOUNT)).status_code == 303
    await first.aclose()
    await second.aclose()


async def test_a_busy_session_ends_after_the_maximum_hours(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.viewer)
    assert (await client.get(ACCOUNT)).status_code == 200
    lived = dt.timedelta(hours=app.state.settings.session_max_hours, minutes=1)
    async with app.state.sessionmaker() as db, db.begin():
        # Used a moment ago, but signed in longer ago than the maximum.
        await db.execute(update(WebSession).values(created_at=dt.datetime.now(dt.UTC) - lived))
    assert (await client.get(ACCOUNT)).status_code == 303
    # Such rows go when anyone signs in next.
    again, _ = await signed_in_browser(app, Role.viewer)
    assert await _sessions(app) == 1
    await client.aclose()
    await again.aclose()


async def test_a_session_ends_after_the_idle_hours(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.viewer)
    assert (await client.get(ACCOUNT)).status_code == 200
    idle = dt.timedelta(hours=app.state.settings.session_idle_hours, minutes=1)
    async with app.state.sessionmaker() as db, db.begin():
        await db.execute(update(WebSession).values(last_seen_at=dt.datetime.now(dt.UTC) - idle))
    assert (await client.get(ACCOUNT)).status_code == 303
    # Expired rows go when anyone signs in next.
    again, _ = await signed_in_browser(app, Role.viewer)
    assert await _sessions(app) == 1
    await client.aclose()
    await again.aclose()


async def test_changing_ones_password_keeps_this_session_and_ends_the_others(
    app: FastAPI,
) -> None:
    here, person = await signed_in_browser(app, Role.focal_point)
    async with browser(app) as elsewhere:
        await sign_in(elsewhere, person.email)
        page = await here.get(ACCOUNT)
        new = "another long passphrase 2031"
        changed = await here.post(
            "/account/password",
            data={"csrf_token": csrf_token(page), "current_password": PASSWORD,
                  "new_password": new, "repeat_password": new},
        )  # fmt: skip
        assert changed.status_code == 303, changed.text
        assert (await here.get(ACCOUNT)).status_code == 200
        assert (await elsewhere.get(ACCOUNT)).status_code == 303
    assert await _sessions(app) == 1
    await here.aclose()


async def test_a_password_change_gives_this_browser_a_new_session_token(app: FastAPI) -> None:
    """A token stolen before the change (the reason one changes it) is worth nothing after."""
    here, _ = await signed_in_browser(app, Role.viewer)
    before = str(here.cookies.get("rectrack_session"))
    page = await here.get(ACCOUNT)
    new = "another long passphrase 2031"
    changed = await here.post(
        "/account/password",
        data={"csrf_token": csrf_token(page), "current_password": PASSWORD,
              "new_password": new, "repeat_password": new},
    )  # fmt: skip
    assert changed.status_code == 303, changed.text
    after = str(here.cookies.get("rectrack_session"))
    assert after != before
    assert (await here.get(ACCOUNT)).status_code == 200
    async with browser(app) as thief:
        thief.cookies.set("rectrack_session", before)
        assert (await thief.get(ACCOUNT)).status_code == 303  # to /login
    assert await _sessions(app) == 1
    await here.aclose()


async def test_a_weak_new_password_comes_back_next_to_its_field(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.viewer)
    page = await client.get(ACCOUNT)
    answer = await client.post(
        "/account/password",
        data={"csrf_token": csrf_token(page), "current_password": PASSWORD,
              "new_password": "password", "repeat_password": "password"},
    )  # fmt: skip
    assert answer.status_code == 422
    assert 'id="f-new_password-error"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    await client.aclose()


async def test_forms_without_the_csrf_token_are_refused_and_change_nothing(
    app: FastAPI,
) -> None:
    user = await make_user(app, Role.viewer)
    async with browser(app) as client:
        no_token = await client.post("/login", data={"email": user.email, "password": PASSWORD})
        assert no_token.status_code == 403
        assert "text/html" in no_token.headers["content-type"]
        assert await _sessions(app) == 0
        await sign_in(client, user.email)
        forged = await client.post("/logout", data={"csrf_token": "forged"})
        assert forged.status_code == 403
        assert await _sessions(app) == 1
        language = await client.post("/account/language", data={"language": "fr"})
        assert language.status_code == 403


async def test_the_api_ignores_the_session_cookie(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.admin)
    assert (await client.get(ACCOUNT)).status_code == 200
    me = await client.get("/api/v1/users/me")
    assert me.status_code == 401
    assert me.headers["content-type"] == "application/problem+json"
    write = await client.post("/api/v1/institutions", json={"name": "X", "kind": "ministry"})
    assert write.status_code == 401
    await client.aclose()
