import datetime as dt

import jwt
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from app.models.user import LoginFailure, Role
from tests.accounts import PASSWORD, bearer, make_user
from tests.problems import assert_problem


async def _login(http: AsyncClient, email: str, password: str) -> object:
    return await http.post("/auth/token", data={"username": email, "password": password})


async def test_login_gives_a_bearer_token_that_works(app: FastAPI, anonymous: AsyncClient) -> None:
    user = await make_user(app, Role.viewer, email="ana@example.org")
    response = await anonymous.post(
        "/auth/token", data={"username": "ANA@example.org ", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 30 * 60
    me = await anonymous.get(
        "/users/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json()["id"] == str(user.id)
    assert "password" not in me.text


async def test_wrong_password_and_unknown_account_look_the_same(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    await make_user(app, Role.viewer, email="ana@example.org")
    wrong = await anonymous.post(
        "/auth/token", data={"username": "ana@example.org", "password": "not-the-password"}
    )
    unknown = await anonymous.post(
        "/auth/token", data={"username": "nobody@example.org", "password": "not-the-password"}
    )
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.json() == unknown.json()
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


async def test_ten_failures_lock_the_account_for_a_while(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    await make_user(app, Role.viewer, email="ana@example.org")
    for _ in range(10):
        response = await anonymous.post(
            "/auth/token", data={"username": "ana@example.org", "password": "guess-guess-guess"}
        )
        assert response.status_code == 401
    locked = await anonymous.post(
        "/auth/token", data={"username": "ana@example.org", "password": PASSWORD}
    )
    assert_problem(locked, 429)
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    other = await make_user(app, Role.viewer, email="ben@example.org")
    still_fine = await anonymous.post(
        "/auth/token", data={"username": other.email, "password": PASSWORD}
    )
    assert still_fine.status_code == 200


async def test_failures_from_one_address_are_limited_across_accounts(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    app.state.settings.login_failures_per_client = 3
    for n in range(3):
        response = await anonymous.post(
            "/auth/token", data={"username": f"x{n}@example.org", "password": "guess-guess-guess"}
        )
        assert response.status_code == 401
    user = await make_user(app, Role.viewer)
    limited = await anonymous.post(
        "/auth/token", data={"username": user.email, "password": PASSWORD}
    )
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers


async def test_failed_logins_are_audited(
    app: FastAPI, anonymous: AsyncClient, admin: AsyncClient
) -> None:
    user = await make_user(app, Role.viewer, email="ana@example.org")
    await anonymous.post("/auth/token", data={"username": "ana@example.org", "password": "x"})
    records = (await admin.get("/audit", params={"action": "login_failed"})).json()["items"]
    assert len(records) == 1
    assert records[0]["entity_type"] == "user"
    assert records[0]["entity_id"] == str(user.id)
    assert records[0]["changes"]["email"]["after"] == "ana@example.org"
    assert records[0]["actor"]["label"] == "anonymous"


async def test_a_deactivated_account_cannot_sign_in(app: FastAPI, anonymous: AsyncClient) -> None:
    user = await make_user(app, Role.viewer, active=False)
    response = await anonymous.post(
        "/auth/token", data={"username": user.email, "password": PASSWORD}
    )
    assert_problem(response, 401)


async def test_expired_and_forged_login_tokens_are_refused(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    user = await make_user(app, Role.viewer)
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": str(user.id), "sv": 1, "typ": "access", "iat": now - dt.timedelta(hours=2)}
    secret = app.state.settings.secret_key.get_secret_value()
    expired = jwt.encode({**claims, "exp": now - dt.timedelta(hours=1)}, secret, "HS256")
    forged = jwt.encode({**claims, "exp": now + dt.timedelta(hours=1)}, "another-key-" * 4, "HS256")
    for token in (expired, forged, "rt_short", "rt_" + "x" * 43):
        response = await anonymous.get("/users/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401)
    # Bad credentials are refused on public operations too, rather than read as anonymous.
    assert_problem(
        await anonymous.get("/sdgs", headers={"Authorization": f"Bearer {expired}"}), 401
    )


async def test_credentials_in_another_scheme_are_refused_not_ignored(
    anonymous: AsyncClient,
) -> None:
    for value in ("Basic YWRtaW46YWRtaW4=", "Digest username=x", "Token abc", "Bearer", ""):
        response = await anonymous.get("/sdgs", headers={"Authorization": value})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_deactivation_stops_existing_tokens_at_once(
    app: FastAPI, admin: AsyncClient, anonymous: AsyncClient
) -> None:
    user = await make_user(app, Role.coordinator)
    headers = bearer(app, user)
    assert (await anonymous.get("/users/me", headers=headers)).status_code == 200
    response = await admin.patch(
        f"/users/{user.id}", json={"active": False}, headers={"If-Match": f'"{user.version}"'}
    )
    assert response.status_code == 200, response.text
    assert_problem(await anonymous.get("/users/me", headers=headers), 401)


async def test_changing_the_password_ends_other_sessions(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    user = await make_user(app, Role.viewer)
    old = bearer(app, user)
    weak = await anonymous.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=old,
    )
    assert_problem(weak, 422, "body.new_password")
    wrong = await anonymous.post(
        "/users/me/password",
        json={"current_password": "nope", "new_password": "another horse battery staple"},
        headers=old,
    )
    assert_problem(wrong, 422, "body.current_password")
    changed = await anonymous.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": "another horse battery staple"},
        headers=old,
    )
    assert changed.status_code == 204
    assert_problem(await anonymous.get("/users/me", headers=old), 401)
    fresh = await anonymous.post(
        "/auth/token",
        data={"username": user.email, "password": "another horse battery staple"},
    )
    assert fresh.status_code == 200


async def test_anonymous_writes_are_401_and_viewer_writes_403(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    from tests.recommendations.factories import recommendation_payload

    assert_problem(await anonymous.post("/recommendations", json=recommendation_payload()), 401)
    viewer = bearer(app, await make_user(app, Role.viewer))
    response = await anonymous.post(
        "/recommendations", json=recommendation_payload(), headers=viewer
    )
    assert_problem(response, 403)


async def test_failures_older_than_the_longest_window_are_dropped(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    # The delays per account look back a day (RECTRACK_LOGIN_ACCOUNT_WINDOW_HOURS).
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=24, minutes=1)
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(
            [
                LoginFailure(email="ana@example.org", client="203.0.113.9", at=old),
                LoginFailure(email="ben@example.org", client="127.0.0.1", at=old),
                LoginFailure(email="cy@example.org", client="203.0.113.9", at=old),
            ]
        )
    response = await anonymous.post(
        "/auth/token", data={"username": "ana@example.org", "password": "guess-guess-guess"}
    )
    assert response.status_code == 401
    async with app.state.sessionmaker() as session:
        left = (await session.execute(select(LoginFailure.email, LoginFailure.at))).all()
    # Ana's old failure and the old one from this client (ASGITransport's 127.0.0.1) are gone;
    # Cy's, from another address, waits for Cy's or that address's next failure.
    assert sorted(email for email, _ in left) == ["ana@example.org", "cy@example.org"]
    assert all(at > old for email, at in left if email == "ana@example.org")
