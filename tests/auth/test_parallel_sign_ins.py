"""Sign-ins sent in parallel (issue 14 review, items 1 and 2): the password hash runs in a
thread, in a bounded number of slots, and the login limits hold however many attempts race."""

import asyncio
import time

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from app.models.user import LoginFailure, Role
from tests.accounts import PASSWORD, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.web.pages import browser, csrf_token, with_second_factor

WRONG = "guess-guess-guess"
HASH_SECONDS = 0.6


@pytest.fixture
def slow_hashing(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every password check takes HASH_SECONDS of blocking work, as a costly Argon2 does; the
    list gets the time each one started."""
    verify = PasswordHasher.verify
    started: list[float] = []

    def slow(self: PasswordHasher, hash: str, password: str) -> bool:
        started.append(time.monotonic())
        time.sleep(HASH_SECONDS)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", slow)
    return started


async def _token(http: AsyncClient, email: str, password: str, **extra: str) -> Response:
    return await http.post("/auth/token", data={"username": email, "password": password, **extra})


async def _once_hashing(started: list[float]) -> None:
    # Polled: the hash starts in another thread, where an asyncio.Event cannot be set.
    while not started:  # noqa: ASYNC110
        await asyncio.sleep(0.005)


async def _failures(app: FastAPI) -> int:
    async with app.state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(LoginFailure))).scalar_one())


async def test_other_requests_are_served_while_a_password_is_hashed(
    app: FastAPI, make_client: ClientFactory, slow_hashing: list[float]
) -> None:
    user = await make_user(app, Role.viewer)
    http, probes = await make_client(), await make_client(base="")

    async def probe() -> float:
        await _once_hashing(slow_hashing)
        assert (await probes.get("/healthz")).status_code == 200
        return time.monotonic() - slow_hashing[0]

    signed_in, answered_after = await asyncio.gather(_token(http, user.email, PASSWORD), probe())
    assert signed_in.status_code == 200
    # Served during the hash: on the event loop, the hash would hold it up to its end.
    assert answered_after < HASH_SECONDS / 2


async def test_sign_ins_beyond_the_hashing_slots_are_503_at_once(
    app: FastAPI, make_client: ClientFactory, slow_hashing: list[float]
) -> None:
    app.state.settings.password_hash_concurrency = 1
    user = await make_user(app, Role.viewer)
    first, second = await make_client(), await make_client()

    async def later() -> tuple[Response, float]:
        await _once_hashing(slow_hashing)
        started = time.monotonic()
        return await _token(second, user.email, WRONG), time.monotonic() - started

    answer, (busy, waited) = await asyncio.gather(_token(first, user.email, WRONG), later())
    assert answer.status_code == 401
    assert_problem(busy, 503)
    assert busy.headers["retry-after"] == "1"
    assert waited < HASH_SECONDS / 2  # answered at once, not queued behind the hash
    # The refused one was not recorded: it never got near the password.
    assert await _failures(app) == 1
    # The slot is free again.
    assert (await _token(second, user.email, PASSWORD)).status_code == 200


async def test_the_login_page_answers_busy_with_a_503_page(
    app: FastAPI, slow_hashing: list[float]
) -> None:
    app.state.settings.password_hash_concurrency = 1
    user = await make_user(app, Role.viewer)
    async with browser(app) as one, browser(app) as two:
        forms = [await one.get("/login"), await two.get("/login")]

        async def post(client: AsyncClient, form: Response, second: bool) -> Response:
            if second:
                await _once_hashing(slow_hashing)
            data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(form)}
            return await client.post("/login", data=data)

        signed_in, busy = await asyncio.gather(
            post(one, forms[0], False), post(two, forms[1], True)
        )
    assert signed_in.status_code == 303
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "1"
    assert "text/html" in busy.headers["content-type"]


async def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(
    app: FastAPI, make_client: ClientFactory, slow_hashing: list[float]
) -> None:
    app.state.settings.login_failures_per_account_and_client = 3
    app.state.settings.password_hash_concurrency = 10
    user = await make_user(app, Role.viewer)
    clients = [await make_client(address="203.0.113.5") for _ in range(10)]
    answers = await asyncio.gather(*(_token(c, user.email, WRONG) for c in clients))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 3 + [429] * 7
    assert await _failures(app) == 3


async def test_parallel_second_factor_codes_get_no_more_checks_than_the_limit(
    app: FastAPI, make_client: ClientFactory
) -> None:
    """With the password known, the six-digit code must not be guessed in parallel."""
    app.state.settings.login_failures_per_account_and_client = 3
    app.state.settings.password_hash_concurrency = 20
    user = await make_user(app, Role.coordinator)
    await with_second_factor(app, user)
    clients = [await make_client(address="203.0.113.5") for _ in range(12)]
    guesses = [f"{n:06d}" for n in range(12)]
    answers = await asyncio.gather(
        *(_token(c, user.email, PASSWORD, totp=g) for c, g in zip(clients, guesses, strict=True))
    )
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 3 + [429] * 9
    assert await _failures(app) == 3
