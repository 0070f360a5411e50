"""One's own API tokens on /account, and the password-reset page of an admin's one-time link."""

import re

from fastapi import FastAPI
from sqlalchemy import func, select

from app.models.user import ApiToken, LoginFailure, Role, TokenScope
from tests.accounts import PASSWORD, bearer, make_api_token, make_user
from tests.web.pages import browser, csrf_token, sign_in, signed_in_browser

_SECRET = re.compile(r'id="token-secret"[^>]*>([^<]+)</textarea>')
NEW = "a fresh and rather long passphrase 88"


async def test_a_token_is_created_shown_once_and_revoked(app: FastAPI) -> None:
    client, person = await signed_in_browser(app, Role.focal_point)
    page = await client.get("/account")
    assert "You have no API tokens." in page.text
    bad = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(page), "name": "", "scope": "write",
              "expires_on": "2020-01-01"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text
    past = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(page), "name": "Reports", "expires_on": "2020-01-01",
              "token_password": PASSWORD},
    )  # fmt: skip
    assert past.status_code == 422
    assert 'id="f-expires_on-error"' in past.text
    assert 'value="Reports"' in past.text  # what was typed is kept
    # A session alone is not enough: the password is asked again, and a wrong one counts.
    for password, shown in (("", "This field is required."), ("not it", "not right")):
        unsure = await client.post(
            "/account/tokens",
            data={"csrf_token": csrf_token(page), "name": "Reports", "scope": "read",
                  "token_password": password},
        )  # fmt: skip
        assert unsure.status_code == 422
        assert 'id="f-token_password-error"' in unsure.text
        assert shown in unsure.text
        assert 'id="f-current_password-error"' not in unsure.text  # not the password form's
    async with app.state.sessionmaker() as db:
        assert (await db.scalars(select(ApiToken))).all() == []
        failures = await db.scalar(select(func.count()).select_from(LoginFailure))
    assert failures == 1
    created = await client.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(page), "name": "Reports", "scope": "read",
              "expires_on": "2099-12-31", "token_password": PASSWORD},
    )  # fmt: skip
    assert created.status_code == 200, created.text
    assert created.headers["cache-control"] == "no-store"
    found = _SECRET.search(created.text)
    assert found
    secret = found.group(1)
    async with browser(app) as api:
        me = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert me.status_code == 200
        assert me.json()["id"] == str(person.id)
    listed = await client.get("/account")
    assert "Reports" in listed.text
    assert secret not in listed.text
    async with app.state.sessionmaker() as db:
        token = (await db.scalars(select(ApiToken))).one()
    assert token.expires_at is not None
    assert token.expires_at.date().isoformat() == "2099-12-31"
    revoked = await client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(listed)}
    )
    assert revoked.status_code == 303
    assert "Revoked" in (await client.get("/account")).text
    async with browser(app) as api:
        gone = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert gone.status_code == 401
    await client.aclose()


async def test_someone_elses_token_is_not_found(app: FastAPI) -> None:
    other = await make_user(app, Role.coordinator)
    token_id, _ = await make_api_token(app, other, TokenScope.read)
    client, _ = await signed_in_browser(app, Role.coordinator)
    page = await client.get("/account")
    answer = await client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    async with app.state.sessionmaker() as db:
        token = await db.get(ApiToken, token_id)
    assert token is not None
    assert token.revoked_at is None
    await client.aclose()


async def _reset_token(app: FastAPI, user_id: object) -> str:
    admin = await make_user(app, Role.admin)
    async with browser(app) as api:
        issued = await api.post(
            f"/api/v1/users/{user_id}/password-reset", headers=bearer(app, admin)
        )
    assert issued.status_code == 201, issued.text
    return str(issued.json()["token"])


async def test_the_reset_link_sets_a_password_once_and_ends_the_sessions(app: FastAPI) -> None:
    signed, person = await signed_in_browser(app, Role.coordinator)
    token = await _reset_token(app, person.id)
    async with browser(app) as client:
        unknown = await client.get("/reset-password?token=not-a-token", follow_redirects=True)
        assert unknown.status_code == 404
        assert "unknown, used already or expired" in unknown.text
        form = await client.get(f"/reset-password?token={token}", follow_redirects=True)
        assert form.status_code == 200
        assert form.headers["cache-control"] == "no-store"
        weak = await client.post(
            "/reset-password",
            data={"csrf_token": csrf_token(form), "token": token, "new_password": "password1234",
                  "repeat_password": "password1234"},
        )  # fmt: skip
        assert weak.status_code == 422
        assert 'id="f-new_password-error"' in weak.text
        differ = await client.post(
            "/reset-password",
            data={"csrf_token": csrf_token(form), "token": token, "new_password": NEW,
                  "repeat_password": NEW + "!"},
        )  # fmt: skip
        assert differ.status_code == 422
        assert 'id="f-repeat_password-error"' in differ.text
        # Refused passwords left the token usable.
        done = await client.post(
            "/reset-password",
            data={"csrf_token": csrf_token(form), "token": token, "new_password": NEW,
                  "repeat_password": NEW},
        )  # fmt: skip
        assert done.status_code == 303
        assert done.headers["location"] == "/login"
        assert "Your new password is set" in (await client.get("/login")).text
        again = await client.get(f"/reset-password?token={token}", follow_redirects=True)
        assert again.status_code == 404
        assert (await sign_in(client, person.email, NEW)).status_code == 303
    assert (await signed.get("/account")).status_code == 303  # the old session ended
    async with browser(app) as client:
        assert (await sign_in(client, person.email, PASSWORD)).status_code == 401
    await signed.aclose()


async def test_the_reset_form_needs_its_csrf_token(app: FastAPI) -> None:
    person = await make_user(app, Role.viewer)
    token = await _reset_token(app, person.id)
    async with browser(app) as client:
        forged = await client.post(
            "/reset-password", data={"token": token, "new_password": NEW, "repeat_password": NEW}
        )
        assert forged.status_code == 403
        usable = await client.get(f"/reset-password?token={token}", follow_redirects=True)
        assert usable.status_code == 200


async def test_the_reset_link_moves_its_token_out_of_the_address(app: FastAPI) -> None:
    # The token must not stay in access logs and browser history: the link's GET moves it into a
    # short-lived cookie for this page only, and the page and its form read it from there.
    person = await make_user(app, Role.viewer)
    token = await _reset_token(app, person.id)
    async with browser(app) as client:
        link = await client.get(f"/reset-password?token={token}")
        assert link.status_code == 303
        assert link.headers["location"] == "/reset-password"
        assert link.headers["cache-control"] == "no-store"
        cookie = next(c for c in link.headers.get_list("set-cookie") if "rectrack_reset=" in c)
        assert f"rectrack_reset={token}" in cookie
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie  # sent after a link opened from another site
        assert "Path=/reset-password" in cookie
        assert "Max-Age=" in cookie
        form = await client.get(link.headers["location"])
        assert form.status_code == 200
        assert 'name="new_password"' in form.text
        assert token not in form.text
        done = await client.post(
            "/reset-password",
            data={"csrf_token": csrf_token(form), "new_password": NEW, "repeat_password": NEW},
        )
        assert done.status_code == 303
        assert done.headers["location"] == "/login"
        cleared = next(c for c in done.headers.get_list("set-cookie") if "rectrack_reset=" in c)
        assert "Max-Age=0" in cleared
        assert (await client.get("/reset-password")).status_code == 404
        assert (await sign_in(client, person.email, NEW)).status_code == 303
