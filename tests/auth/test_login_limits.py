"""Login limits (DESIGN §8): failures from elsewhere never lock a person out of their own
account from their own address; an attacker is slowed, never handed a way to deny others."""

import datetime as dt

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import delete, func, select

from app.models.user import LoginFailure, Role, User
from tests.accounts import PASSWORD, bearer, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem

OFFICE = "192.0.2.10"
WRONG = "guess-guess-guess"


async def login(http: AsyncClient, email: str, password: str = PASSWORD) -> Response:
    return await http.post("/auth/token", data={"username": email, "password": password})


async def _signed_in_once_from(make_client: ClientFactory, user: User, address: str) -> None:
    response = await login(await make_client(address=address), user.email)
    assert response.status_code == 200, response.text


async def _failures(app: FastAPI, email: str, addresses: list[str], seconds_ago: int) -> None:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all(LoginFailure(email=email, client=a, at=at) for a in addresses)


async def test_failures_from_other_addresses_never_lock_the_owner_out_of_their_own(
    app: FastAPI, make_client: ClientFactory
) -> None:
    app.state.settings.login_failures_per_account = 5  # a quicker test; 20 by default
    ana = await make_user(app, Role.admin, email="ana@example.org")
    await _signed_in_once_from(make_client, ana, OFFICE)
    # An attacker tries from 40 addresses (a botnet, or spoofed X-Forwarded-For values that a
    # proxy passed on): past 5 failures, the account's attempts are spaced out.
    statuses = set()
    for n in range(40):
        attacker = await make_client(address=f"198.51.100.{n}")
        statuses.add((await login(attacker, ana.email, WRONG)).status_code)
    assert statuses == {401, 429}
    assert (await login(await make_client(address=OFFICE), ana.email)).status_code == 200
    # From an address the account never used, the attempts are spaced out, not refused for good.
    elsewhere = await login(await make_client(address="203.0.113.99"), ana.email)
    assert_problem(elsewhere, 429)
    assert 0 < int(elsewhere.headers["retry-after"]) <= app.state.settings.login_max_delay_seconds


async def test_ten_failures_from_one_address_stop_that_address_only(
    app: FastAPI, make_client: ClientFactory
) -> None:
    ana = await make_user(app, Role.viewer, email="ana@example.org")
    here = await make_client(address="203.0.113.5")
    for _ in range(10):
        assert (await login(here, ana.email, WRONG)).status_code == 401
    locked = await login(here, ana.email)
    assert_problem(locked, 429)
    assert 0 < int(locked.headers["retry-after"]) <= 15 * 60
    assert (await login(await make_client(address=OFFICE), ana.email)).status_code == 200


async def test_made_up_emails_from_a_nat_do_not_lock_out_its_people(
    app: FastAPI, make_client: ClientFactory
) -> None:
    app.state.settings.login_failures_per_client = 5
    ana = await make_user(app, Role.coordinator, email="ana@example.org")
    await _signed_in_once_from(make_client, ana, OFFICE)
    nat = await make_client(address=OFFICE)
    for n in range(8):
        assert (await login(nat, f"nobody{n}@example.org", WRONG)).status_code in (401, 429)
    assert (await login(nat, ana.email)).status_code == 200
    # The address's limit still holds for accounts not seen there lately: spraying from one
    # address, and the hashing work it causes, stay bounded.
    ben = await make_user(app, Role.viewer, email="ben@example.org")
    limited = await login(nat, ben.email)
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers


async def test_the_delay_per_account_doubles_with_each_failure_up_to_a_ceiling(
    app: FastAPI, make_client: ClientFactory
) -> None:
    settings = app.state.settings
    ana = await make_user(app, Role.viewer, email="ana@example.org")
    stranger = await make_client(address="203.0.113.77")
    waits = []
    for beyond in (0, 3, 6, 12):
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(delete(LoginFailure))
        count = settings.login_failures_per_account + beyond
        await _failures(app, ana.email, [f"198.51.100.{n}" for n in range(count)], seconds_ago=0)
        response = await login(stranger, ana.email)
        assert_problem(response, 429)
        waits.append(int(response.headers["retry-after"]))
    assert waits == [1, 8, 64, settings.login_max_delay_seconds]
    # Once the delay has passed, the next attempt is checked (and the right password works).
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(delete(LoginFailure))
    await _failures(app, ana.email, [f"198.51.100.{n}" for n in range(21)], seconds_ago=3)
    assert (await login(stranger, ana.email)).status_code == 200


async def test_wrong_current_passwords_count_as_failed_logins(
    app: FastAPI, make_client: ClientFactory
) -> None:
    ana = await make_user(app, Role.viewer, email="ana@example.org")
    here = await make_client(headers=bearer(app, ana), address="203.0.113.5")
    body = {"current_password": WRONG, "new_password": "another horse battery staple"}
    for _ in range(10):
        assert_problem(await here.post("/users/me/password", json=body), 422)
    right = {**body, "current_password": PASSWORD}
    limited = await here.post("/users/me/password", json=right)
    assert_problem(limited, 429)
    assert "retry-after" in limited.headers
    assert_problem(await login(await make_client(address="203.0.113.5"), ana.email), 429)
    async with app.state.sessionmaker() as session:
        recorded = await session.scalar(select(func.count()).select_from(LoginFailure))
    assert recorded == 10


async def test_ipv6_clients_are_counted_by_their_64(
    app: FastAPI, make_client: ClientFactory
) -> None:
    ana = await make_user(app, Role.viewer, email="ana@example.org")
    for n in range(10):
        http = await make_client(address=f"2001:db8:1:2::{n + 1:x}")
        assert (await login(http, ana.email, WRONG)).status_code == 401
    same_64 = await make_client(address="2001:db8:1:2:ffff::1")
    assert_problem(await login(same_64, ana.email), 429)
    other_64 = await make_client(address="2001:db8:1:3::1")
    assert (await login(other_64, ana.email)).status_code == 200
