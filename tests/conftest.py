"""Test databases on SQLite and PostgreSQL, built by the migrations, and an API client per test.

Every test that uses `client` runs once per backend. PostgreSQL comes from
RECTRACK_TEST_POSTGRES_URL (default: the local server's `test` database); without it those
runs are skipped, except under CI=true, where an unreachable server fails the run.
"""

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import Base
from app.models.user import Role
from app.reference.seed import seed_reference_data
from tests.accounts import bearer, make_user

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REFERENCE_TABLES = {"sdg_goal", "sdg_target", "mechanism", "country", "theme", "affected_person"}
DATA_TABLES = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
# The SDG tally follows recommendations by trigger: deleted after them, it ends empty.
DATA_TABLES.sort(key=lambda table: table.name == "sdg_goal_tally")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _postgres_admin(statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is unreachable at {POSTGRES_URL}: {reason}")
    pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} ({reason}); SQLite runs only")


async def _seed(url: str) -> None:
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await seed_reference_data(session, settings.seeds_dir)
    finally:
        await engine.dispose()


def _prepare(url: str) -> str:
    upgrade_to_head(url)
    asyncio.run(_seed(url))
    return url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated, seeded database per backend, shared by the session's tests."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "rectrack.db"
        yield _prepare(f"sqlite+aiosqlite:///{path}")
        return
    with scratch_postgres("rectrack_test") as url:
        yield _prepare(url)


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards; skips (or, under CI,
    fails) when PostgreSQL is unreachable."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        _postgres_unavailable(str(exc))
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, not migrated: for migrations and the command line."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    with scratch_postgres("rectrack_empty") as url:
        yield url


async def clear_data(engine: AsyncEngine) -> None:
    """Remove everything but the reference data, so that each test starts from the seed."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in DATA_TABLES)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in DATA_TABLES:
                await connection.execute(delete(table))


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    # Cheap Argon2 parameters: the tests check behaviour, not the cost of a hash.
    settings = Settings(
        database_url=database_url,
        environment="test",
        secret_key=SecretStr(secrets.token_urlsafe(32)),
        password_time_cost=1,
        password_memory_kib=1024,
    )
    application = create_app(settings)
    await clear_data(application.state.engine)
    yield application
    await application.state.engine.dispose()


ClientFactory = Callable[..., Awaitable[AsyncClient]]


@pytest.fixture
async def make_client(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Open API clients on the test app: `await make_client(role)`, `make_client(headers=…)`."""
    opened: list[AsyncClient] = []

    async def make(
        role: Role | None = None, *, headers: dict[str, str] | None = None, base: str = "/api/v1"
    ) -> AsyncClient:
        auth = headers or {}
        if role is not None:
            auth = bearer(app, await make_user(app, role))
        transport = ASGITransport(app=app, raise_app_exceptions=False)
        http = AsyncClient(transport=transport, base_url=f"http://test{base}", headers=auth)
        opened.append(http)
        return http

    yield make
    for http in opened:
        await http.aclose()


@pytest.fixture
async def client(make_client: ClientFactory) -> AsyncClient:
    """Signed in as a coordinator: the NMRF secretariat, who may change recommendations."""
    return await make_client(Role.coordinator)


@pytest.fixture
async def anonymous(make_client: ClientFactory) -> AsyncClient:
    return await make_client()


@pytest.fixture
async def admin(make_client: ClientFactory) -> AsyncClient:
    return await make_client(Role.admin)


@pytest.fixture
async def root_client(make_client: ClientFactory) -> AsyncClient:
    """A client for the paths outside /api/v1 (health probes, the OpenAPI document)."""
    return await make_client(base="")
