"""Test databases on SQLite and PostgreSQL, built by the migrations, and an API client per test.

Every test that uses `client` runs once per backend. PostgreSQL comes from
RECTRACK_TEST_POSTGRES_URL (default: the local server's `test` database); without it those
runs are skipped, except under CI=true, where an unreachable server fails the run.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models import Base
from app.reference.seed import seed_reference_data

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REFERENCE_TABLES = {"sdg_goal", "sdg_target", "mechanism", "country", "theme", "affected_person"}
DATA_TABLES = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]


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
    name = f"rectrack_test_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        _postgres_unavailable(str(exc))
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield _prepare(url.render_as_string(hide_password=False))
    finally:
        asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


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
    application = create_app(Settings(database_url=database_url, environment="test"))
    await clear_data(application.state.engine)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


@pytest.fixture
async def root_client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """A client for the paths outside /api/v1 (health probes, the OpenAPI document)."""
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
