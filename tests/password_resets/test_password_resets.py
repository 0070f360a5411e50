"""An admin's one-time password reset: shown once, stored hashed, works once, expires."""

import datetime as dt

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select, update

from app.auth.security import hash_token
from app.models.credentials import PasswordReset
from app.models.user import LoginFailure, Role, TokenScope
from tests.accounts import bearer, make_api_token, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem

NEW = "another horse battery staple"


async def test_a_reset_token_sets_a_new_password_once(
    app: FastAPI, admin: AsyncClient, anonymous: AsyncClient, make_client: ClientFactory
) -> None:
    ana = await make_user(app, Role.coordinator, email="ana@example.org")
    _, api_secret = await make_api_token(app, ana, TokenScope.write)
    old_session = bearer(app, ana)
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(LoginFailure(email=ana.email, client=f"203.0.113.{n}") for n in range(30))
    issued = await admin.post(f"/users/{ana.id}/password-reset")
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    assert issued.json()["user_id"] == str(ana.id)
    async with app.state.sessionmaker() as session:
        stored = (await session.scalars(select(PasswordReset))).one()
    assert stored.token_hash == hash_token(token)
    assert token not in stored.token_hash
    weak = await anonymous.post(
        "/auth/password-reset", json={"token": token, "new_password": "password1234"}
    )
    assert_problem(weak, 422, "body.new_password")
    done = await anonymous.post("/auth/password-reset", json={"token": token, "new_password": NEW})
    assert done.status_code == 204, done.text
    again = await anonymous.post("/auth/password-reset", json={"token": token, "new_password": NEW})
    assert_problem(again, 422, "body.token")
    login = await anonymous.post("/auth/token", data={"username": ana.email, "password": NEW})
    assert login.status_code == 200  # the failures from before were forgotten
    assert_problem(await (await make_client(headers=old_session)).get("/users/me"), 401)
    api = await make_client(headers={"Authorization": f"Bearer {api_secret}"})
    assert (await api.get("/users/me")).status_code == 200  # kept: not asked to revoke
    records = (await admin.get("/audit", params={"action": "reset_password"})).json()["items"]
    assert records[0]["actor"]["label"] == "password reset token"


async def test_a_reset_token_expires_and_a_newer_one_voids_it(
    app: FastAPI, admin: AsyncClient, anonymous: AsyncClient
) -> None:
    ana = await make_user(app, Role.viewer)
    first = (await admin.post(f"/users/{ana.id}/password-reset")).json()["token"]
    second = (await admin.post(f"/users/{ana.id}/password-reset")).json()["token"]
    voided = await anonymous.post(
        "/auth/password-reset", json={"token": first, "new_password": NEW}
    )
    assert_problem(voided, 422, "body.token")
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(PasswordReset).values(
                expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            )
        )
    expired = await anonymous.post(
        "/auth/password-reset", json={"token": second, "new_password": NEW}
    )
    assert_problem(expired, 422, "body.token")
    made_up = await anonymous.post(
        "/auth/password-reset", json={"token": "made-up", "new_password": NEW}
    )
    assert_problem(made_up, 422, "body.token")


async def test_a_reset_can_revoke_api_tokens(
    app: FastAPI, admin: AsyncClient, anonymous: AsyncClient, make_client: ClientFactory
) -> None:
    ana = await make_user(app, Role.viewer)
    _, api_secret = await make_api_token(app, ana, TokenScope.read)
    token = (await admin.post(f"/users/{ana.id}/password-reset")).json()["token"]
    body = {"token": token, "new_password": NEW, "revoke_api_tokens": True}
    assert (await anonymous.post("/auth/password-reset", json=body)).status_code == 204
    api = await make_client(headers={"Authorization": f"Bearer {api_secret}"})
    assert_problem(await api.get("/users/me"), 401)
