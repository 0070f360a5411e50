"""Accounts are managed by signed-in people only; deactivation and password changes end what
they should; two admins cannot demote each other into having none; `rectrack unlock`."""

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from app import db as app_db
from app.cli import main
from app.config import get_settings
from app.models.user import LoginFailure, Role, TokenScope, User
from app.users import service as users_service
from tests.accounts import PASSWORD, bearer, make_api_token, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem

NEW_PASSWORD = "another horse battery staple"


async def test_an_admins_write_token_cannot_create_or_change_accounts(
    app: FastAPI, make_client: ClientFactory
) -> None:
    owner = await make_user(app, Role.admin)
    _, secret = await make_api_token(app, owner, TokenScope.write)
    token = await make_client(headers={"Authorization": f"Bearer {secret}"})
    victim = await make_user(app, Role.viewer)
    backdoor = {"email": "backdoor@example.org", "name": "B", "password": PASSWORD,
                "role": "admin"}  # fmt: skip
    assert_problem(await token.post("/users", json=backdoor), 403)
    promote = await token.patch(
        f"/users/{victim.id}", json={"role": "admin"}, headers={"If-Match": '"1"'}
    )
    assert_problem(promote, 403)
    assert_problem(await token.post(f"/users/{victim.id}/password-reset"), 403)
    assert_problem(await token.post(f"/users/{victim.id}/unlock"), 403)
    assert_problem(await token.delete(f"/users/{victim.id}/two-factor"), 403)
    # The same admin, signed in, may.
    signed_in = await make_client(headers=bearer(app, owner))
    assert (await signed_in.post("/users", json=backdoor)).status_code == 201


async def _token_works(make_client: ClientFactory, secret: str) -> bool:
    http = await make_client(headers={"Authorization": f"Bearer {secret}"})
    return (await http.get("/users/me")).status_code == 200


async def test_deactivation_revokes_api_tokens_for_good(
    app: FastAPI, admin: AsyncClient, make_client: ClientFactory
) -> None:
    user = await make_user(app, Role.coordinator)
    _, secret = await make_api_token(app, user, TokenScope.write)
    login = bearer(app, user)
    off = await admin.patch(
        f"/users/{user.id}", json={"active": False}, headers={"If-Match": '"1"'}
    )
    assert off.status_code == 200, off.text
    on = await admin.patch(
        f"/users/{user.id}", json={"active": True}, headers={"If-Match": off.headers["etag"]}
    )
    assert on.status_code == 200, on.text
    assert not await _token_works(make_client, secret)
    assert_problem(await (await make_client(headers=login)).get("/users/me"), 401)
    tokens = (await admin.get("/api-tokens", params={"user_id": str(user.id)})).json()["items"]
    assert tokens
    assert all(t["revoked_at"] is not None for t in tokens)


@pytest.mark.parametrize("revoke", [True, False])
async def test_a_password_change_revokes_api_tokens_when_asked(
    app: FastAPI, make_client: ClientFactory, revoke: bool
) -> None:
    user = await make_user(app, Role.coordinator)
    _, secret = await make_api_token(app, user, TokenScope.write)
    http = await make_client(headers=bearer(app, user))
    changed = await http.post(
        "/users/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
              "revoke_api_tokens": revoke},
    )  # fmt: skip
    assert changed.status_code == 204, changed.text
    assert await _token_works(make_client, secret) is not revoke
    assert_problem(await http.get("/users/me"), 401)  # the login session ended either way


async def test_two_admins_demoting_each_other_at_once_leave_one(
    app: FastAPI, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana, ben = await make_user(app, Role.admin), await make_user(app, Role.admin)
    as_ana = await make_client(headers=bearer(app, ana))
    as_ben = await make_client(headers=bearer(app, ben))
    # Hold each request just before it writes until the other one gets there too (or a
    # second has passed, when the other waits on a lock): without locking, both have counted
    # two admins by then.
    arrived = asyncio.Barrier(2)
    flush = app_db.flush_or_conflict

    async def held(*args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrived.wait(), timeout=1)
        await flush(*args, **kwargs)

    monkeypatch.setattr(users_service, "flush_or_conflict", held)
    demote, first = {"role": "viewer"}, {"If-Match": '"1"'}
    responses = await asyncio.gather(
        as_ana.patch(f"/users/{ben.id}", json=demote, headers=first),
        as_ben.patch(f"/users/{ana.id}", json=demote, headers=first),
    )
    statuses = sorted(r.status_code for r in responses)
    # SQLite lets one writer at a time; the second either sees the first or is told to retry.
    assert statuses in ([200, 409], [200, 503]), [r.text for r in responses]
    async with app.state.sessionmaker() as session:
        admins = await session.scalar(
            select(func.count()).where(User.role == Role.admin, User.active.is_(True))
        )
    assert admins == 1


async def test_an_admin_unlocks_an_account(
    app: FastAPI, admin: AsyncClient, anonymous: AsyncClient
) -> None:
    ana = await make_user(app, Role.viewer, email="ana@example.org")
    for _ in range(10):
        await anonymous.post("/auth/token", data={"username": ana.email, "password": "nope"})
    login = {"username": ana.email, "password": PASSWORD}
    assert_problem(await anonymous.post("/auth/token", data=login), 429)
    assert (await admin.post(f"/users/{ana.id}/unlock")).status_code == 204
    assert (await anonymous.post("/auth/token", data=login)).status_code == 200
    records = (await admin.get("/audit", params={"action": "unlock"})).json()["items"]
    assert records[0]["changes"]["failed_logins"] == {"before": 10, "after": 0}


def test_the_unlock_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
        create = ["create-user", "--email", "ana@example.org", "--role", "admin",
                  "--password-stdin"]  # fmt: skip
        made = runner.invoke(main, create, input=PASSWORD + "\n")
        assert made.exit_code == 0, made.output
        asyncio.run(_add_failures(get_settings().database_url, "ana@example.org", 12))
        result = runner.invoke(main, ["unlock", "ANA@example.org"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "unlocked ana@example.org: 12 failed logins forgotten"
        assert asyncio.run(_count_failures(get_settings().database_url)) == 0
        unknown = runner.invoke(main, ["unlock", "nobody@example.org"])
        assert unknown.exit_code == 1
        assert "There is no account nobody@example.org" in unknown.output
    finally:
        get_settings.cache_clear()


async def _add_failures(url: str, email: str, count: int) -> None:
    from app.config import Settings
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(Settings(database_url=url))
    async with create_sessionmaker(engine)() as session, session.begin():
        session.add_all(LoginFailure(email=email, client=f"203.0.113.{n}") for n in range(count))
    await engine.dispose()


async def _count_failures(url: str) -> int:
    from app.config import Settings
    from app.db import create_engine, create_sessionmaker

    engine = create_engine(Settings(database_url=url))
    async with create_sessionmaker(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(LoginFailure))
    await engine.dispose()
    return int(count or 0)
