"""Two-factor sign-in: enrolling a TOTP app, signing in with its codes or a recovery code,
the login limits on codes, disabling, an admin's removal, and RECTRACK_REQUIRE_2FA."""

import asyncio
import datetime as dt
import uuid
from typing import Any

import pyotp
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from pydantic import SecretStr
from sqlalchemy import select

from app.auth.totp import decrypt_secret, encrypt_secret
from app.config import Settings
from app.models.credentials import RecoveryCode, TotpCredential
from app.models.user import Role, TokenScope, User
from tests.accounts import PASSWORD, bearer, make_api_token, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem


async def enrol(http: AsyncClient, app: FastAPI | None = None) -> tuple[pyotp.TOTP, list[str]]:
    """Enrol the caller. Confirming ends its login token: with `app`, `http` gets a new one
    (as signing in again with a code would give, without spending one)."""
    started = await http.post("/users/me/two-factor", json={"password": PASSWORD})
    assert started.status_code == 201, started.text
    totp = pyotp.TOTP(started.json()["secret"])
    me = (await http.get("/users/me")).json()["id"]
    confirmed = await http.post("/users/me/two-factor/confirm", json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text
    assert_problem(await http.get("/users/me"), 401)  # the token taken before has ended
    if app is not None:
        async with app.state.sessionmaker() as session:
            user = await session.get_one(User, uuid.UUID(me))
        http.headers.update(bearer(app, user))
    codes: list[str] = confirmed.json()["recovery_codes"]
    return totp, codes


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next time step: accepted (clocks drift), and never used yet."""
    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30))


async def login(http: AsyncClient, email: str, code: str | None = None, **extra: str) -> Response:
    form = {"username": email, "password": PASSWORD, **extra}
    if code is not None:
        form["totp"] = code
    return await http.post("/auth/token", data=form)


async def _user_with_client(
    app: FastAPI, make_client: ClientFactory, role: Role = Role.viewer
) -> tuple[User, AsyncClient]:
    user = await make_user(app, role)
    return user, await make_client(headers=bearer(app, user))


async def test_enrolment_shows_the_secret_and_recovery_codes_once(
    app: FastAPI, make_client: ClientFactory
) -> None:
    user, http = await _user_with_client(app, make_client)
    assert (await http.get("/users/me/two-factor")).json() == {
        "enabled": False, "pending": False, "recovery_codes_left": 0, "required": False,
    }  # fmt: skip
    wrong = await http.post("/users/me/two-factor", json={"password": "not it"})
    assert_problem(wrong, 422, "body.password")
    started = await http.post("/users/me/two-factor", json={"password": PASSWORD})
    assert started.status_code == 201, started.text
    body = started.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/rectrack:")
    assert f"secret={body['secret']}" in body["otpauth_uri"]
    assert body["qr_code_svg"].startswith("<svg")
    assert (await http.get("/users/me/two-factor")).json()["pending"] is True
    bad = await http.post("/users/me/two-factor/confirm", json={"code": "000000"})
    assert_problem(bad, 422, "body.code")
    totp = pyotp.TOTP(body["secret"])
    confirmed = await http.post("/users/me/two-factor/confirm", json={"code": totp.now()})
    assert confirmed.status_code == 200, confirmed.text
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert_problem(await http.get("/users/me/two-factor"), 401)  # taken with the password alone
    async with app.state.sessionmaker() as session:
        http.headers.update(bearer(app, await session.get_one(User, user.id)))
    status = await http.get("/users/me/two-factor")
    assert status.json() == {"enabled": True, "pending": False, "recovery_codes_left": 10,
                             "required": False}  # fmt: skip
    assert body["secret"] not in status.text
    again = await http.post("/users/me/two-factor", json={"password": PASSWORD})
    assert_problem(again, 409)
    async with app.state.sessionmaker() as session:
        stored = await session.get(TotpCredential, user.id)
        hashes = (await session.scalars(select(RecoveryCode.code_hash))).all()
    assert stored is not None
    assert body["secret"] not in stored.secret_encrypted
    assert not any(code in hashes or code.replace("-", "") in hashes for code in codes)


async def test_signing_in_takes_a_code_once(
    app: FastAPI, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    totp, _ = await enrol(http, app)
    needed = await login(anonymous, user.email)
    assert_problem(needed, 401)
    assert needed.json()["type"] == "urn:rectrack:problem:second-factor-required"
    wrong = await login(anonymous, user.email, "123456")
    wrong_password = await login(anonymous, user.email, next_code(totp), password="not it")
    assert_problem(wrong, 401)
    assert wrong.json() == wrong_password.json()
    code = next_code(totp)
    signed_in = await login(anonymous, user.email, code)
    assert signed_in.status_code == 200, signed_in.text
    token = signed_in.json()["access_token"]
    me = await anonymous.get("/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert_problem(await login(anonymous, user.email, code), 401)  # the same code again


async def test_one_code_sent_twice_at_once_signs_in_once(
    app: FastAPI, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    totp, _ = await enrol(http, app)
    code = next_code(totp)
    responses = await asyncio.gather(*(login(anonymous, user.email, code) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 401, 401, 401]


async def test_a_recovery_code_works_once(
    app: FastAPI, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    _, codes = await enrol(http, app)
    typed = codes[0].upper().replace("-", " ")  # read out loud, typed in by hand
    assert (await login(anonymous, user.email, typed)).status_code == 200
    assert_problem(await login(anonymous, user.email, codes[0]), 401)
    assert (await http.get("/users/me/two-factor")).json()["recovery_codes_left"] == 9


async def test_wrong_codes_count_toward_the_login_limits(
    app: FastAPI, make_client: ClientFactory
) -> None:
    user, http = await _user_with_client(app, make_client)
    totp, _ = await enrol(http, app)
    here = await make_client(address="203.0.113.5")
    for n in range(10):
        assert_problem(await login(here, user.email, f"{n:06d}"), 401)
    limited = await login(here, user.email, next_code(totp))
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers


async def test_disabling_needs_the_password_and_a_code(
    app: FastAPI, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    totp, codes = await enrol(http, app)
    path = "/users/me/two-factor/disable"
    assert_problem(await http.post(path, json={"password": PASSWORD}), 422, "body.code")
    wrong_password = await http.post(path, json={"password": "no", "code": next_code(totp)})
    assert_problem(wrong_password, 422, "body.password")
    wrong_code = await http.post(path, json={"password": PASSWORD, "code": "999999"})
    assert_problem(wrong_code, 422, "body.code")
    assert (await http.post(path, json={"password": PASSWORD, "code": codes[1]})).status_code == 204
    assert_problem(await http.get("/users/me"), 401)  # its sessions ended with the change
    signed_in = await _token(await login(anonymous, user.email))  # the password alone again
    status = await anonymous.get("/users/me/two-factor", headers=signed_in)
    assert status.json()["enabled"] is False


async def test_new_recovery_codes_replace_the_old(
    app: FastAPI, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    totp, old = await enrol(http, app)
    fresh = await http.post(
        "/users/me/two-factor/recovery-codes", json={"password": PASSWORD, "code": next_code(totp)}
    )
    assert fresh.status_code == 200, fresh.text
    assert_problem(await login(anonymous, user.email, old[0]), 401)
    assert (
        await login(anonymous, user.email, fresh.json()["recovery_codes"][0])
    ).status_code == 200


async def test_an_admin_removes_a_lost_second_factor(
    app: FastAPI, make_client: ClientFactory, admin: AsyncClient, anonymous: AsyncClient
) -> None:
    user, http = await _user_with_client(app, make_client)
    await enrol(http, app)
    assert (await admin.delete(f"/users/{user.id}/two-factor")).status_code == 204
    assert_problem(await http.get("/users/me"), 401)  # its sessions ended
    assert (await login(anonymous, user.email)).status_code == 200
    assert_problem(await admin.delete(f"/users/{user.id}/two-factor"), 404)
    records = (await admin.get("/audit", params={"action": "disable_second_factor"})).json()
    assert records["items"][0]["entity_id"] == str(user.id)


async def _token(response: Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_required_second_factor_lets_admins_without_one_only_enrol(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    app.state.settings.require_2fa = True
    boss = await make_user(app, Role.admin)
    first = await login(anonymous, boss.email)
    assert first.json()["must_enrol_second_factor"] is True
    headers = await _token(first)
    assert (await anonymous.get("/users/me", headers=headers)).status_code == 200
    refused = await anonymous.get("/users", headers=headers)
    assert_problem(refused, 403)
    assert "second factor" in refused.json()["detail"]
    assert_problem(await anonymous.post("/api-tokens", json={"name": "x"}, headers=headers), 403)
    status = await anonymous.get("/users/me/two-factor", headers=headers)
    assert status.json()["required"] is True
    started = await anonymous.post(
        "/users/me/two-factor", json={"password": PASSWORD}, headers=headers
    )
    totp = pyotp.TOTP(started.json()["secret"])
    confirm = {"code": totp.now()}
    confirmed = await anonymous.post("/users/me/two-factor/confirm", json=confirm, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    full = await _token(await login(anonymous, boss.email, next_code(totp)))
    assert (await anonymous.get("/users", headers=full)).status_code == 200
    # A viewer is not asked for one.
    viewer = await make_user(app, Role.viewer)
    plain = await login(anonymous, viewer.email)
    assert plain.json()["must_enrol_second_factor"] is False


def test_a_secret_sealed_under_another_key_does_not_open() -> None:
    import secrets

    one = Settings(secret_key=SecretStr(secrets.token_hex(32)))
    other = Settings(secret_key=SecretStr(secrets.token_hex(32)))
    user, stranger = uuid.uuid4(), uuid.uuid4()
    sealed = encrypt_secret("JBSWY3DPEHPK3PXP", user, one)
    assert decrypt_secret(sealed, user, one) == "JBSWY3DPEHPK3PXP"
    assert decrypt_secret(sealed, user, other) is None
    assert decrypt_secret(sealed, stranger, one) is None  # copied onto another account


@pytest.mark.parametrize("field", ["totp"])
async def test_a_nul_in_the_code_is_refused(anonymous: AsyncClient, field: str) -> None:
    form: dict[str, Any] = {"username": "a@example.org", "password": "x", field: "12\x003456"}
    assert_problem(await anonymous.post("/auth/token", data=form), 422, f"body.{field}")


async def test_an_account_that_must_enrol_reads_nothing_else_with_any_credential(
    app: FastAPI, anonymous: AsyncClient
) -> None:
    """Under RECTRACK_REQUIRE_2FA, neither the login token of an account without a second
    factor nor its API token reads what the signed-in see (user ids, drafts, the audit)."""
    app.state.settings.require_2fa = True
    boss = await make_user(app, Role.coordinator)
    _, secret = await make_api_token(app, boss, TokenScope.write)
    login_token = await _token(await login(anonymous, boss.email))
    api_token = {"Authorization": f"Bearer {secret}"}
    for headers in (login_token, api_token):
        for path in ("/audit", "/recommendations", "/institutions", "/progress-updates"):
            refused = await anonymous.get(path, headers=headers)
            assert_problem(refused, 403)
            assert "second factor" in refused.json()["detail"]
    # What enrolment needs stays open to the login token.
    assert (await anonymous.get("/users/me", headers=login_token)).status_code == 200
    assert (await anonymous.get("/users/me/two-factor", headers=login_token)).status_code == 200
    # Once the account has a second factor, its API token works again.
    await enrol(await _client_with(anonymous, login_token))
    assert (await anonymous.get("/audit", headers=api_token)).status_code == 200


async def _client_with(http: AsyncClient, headers: dict[str, str]) -> AsyncClient:
    http.headers.update(headers)
    return http
