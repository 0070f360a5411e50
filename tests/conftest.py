"""Test databases on SQLite and PostgreSQL, built by the migrations, and an API client per test.

Every test that uses `app` (or a client) runs once per backend. Each backend's database is
migrated and seeded once per session as a template; every test gets its own copy of it (a file
copy on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL), so nothing one test writes, reference
data included, is seen by another. The app is built once per backend (building its routes costs
about a third of a second) and each test binds fresh settings and its own database to it.

PostgreSQL comes from RECTRACK_TEST_POSTGRES_URL (default: the local server's `test` database);
without it those runs are skipped, except under CI=true, where an unreachable server fails the
run. RECTRACK_TEST_BACKENDS=sqlite (or postgresql) runs one backend only.
"""

import asyncio
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
from app.main import bind_settings, create_app
from app.migrations import upgrade_to_head
from app.models import Base
from app.models.user import Role
from app.reference.seed import seed_reference_data
from tests.accounts import bearer, make_user

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    backend
    for backend in ("sqlite", "postgresql")
    if os.environ.get("RECTRACK_TEST_BACKENDS", "sqlite,postgresql").count(backend)
]
REFERENCE_TABLES = {"sdg_goal", "sdg_target", "mechanism", "country", "theme", "affected_person"}
DATA_TABLES = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in REFERENCE_TABLES]
# The SDG tally follows recommendations by trigger: deleted after them, it ends empty.
DATA_TABLES.sort(key=lambda table: table.name == "sdg_goal_tally")


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _where(url: str) -> str:
    """Host, port and database of a URL, never its password: skip messages land in CI logs."""
    parsed = make_url(url)
    return f"{parsed.host}:{parsed.port or 5432}/{parsed.database}"


async def _postgres_admin(statement: str) -> None:
    await _postgres_run(POSTGRES_URL, statement)


def _postgres_unavailable(reason: str) -> None:
    where = _where(POSTGRES_URL)
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but PostgreSQL is unreachable at {where}: {reason}")
    pytest.skip(f"PostgreSQL not reachable at {where} ({reason}); SQLite runs only")


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


@dataclass(frozen=True)
class Template:
    """A migrated, seeded database from which every test starts."""

    backend: str
    url: str

    @property
    def database(self) -> str:
        return make_url(self.url).database or ""

    def fresh(self, directory: Path) -> str:
        """A database in the template's state, for one test."""
        if self.backend == "sqlite":
            path = directory / "rectrack.db"
            shutil.copyfile(self.database, path)
            return f"sqlite+aiosqlite:///{path}"
        asyncio.run(_postgres_run(self.url, "SELECT test_seed.reset()"))
        return self.url


async def _postgres_run(url: str, statement: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _reset_function(seeded: list[str], emptied: list[str]) -> str:
    """PL/pgSQL that puts a PostgreSQL test database back in its template state.

    `CREATE DATABASE … TEMPLATE` per test writes the whole template to the WAL and the drop
    waits on the disk (0.3-1.5 s each on a busy machine); deleting what a test wrote costs
    about 2 ms. Tables the template fills (reference data, the Alembic version) are copied to
    the `test_seed` schema and put back only when a trigger saw a test write to them.
    """
    deletes = "".join(f"DELETE FROM public.{name};" for name in emptied)
    restore = "".join(f"DELETE FROM public.{name};" for name in reversed(seeded))
    restore += "".join(f"INSERT INTO public.{n} SELECT * FROM test_seed.{n};" for n in seeded)
    return f"""
CREATE FUNCTION test_seed.reset() RETURNS void LANGUAGE plpgsql AS $$
DECLARE sequence record;
BEGIN
  {deletes}
  IF EXISTS (SELECT FROM test_seed.dirty) THEN
    {restore}
    DELETE FROM test_seed.dirty;
  END IF;
  FOR sequence IN SELECT name, value, called FROM test_seed.sequences LOOP
    PERFORM setval(sequence.name, sequence.value, sequence.called);
  END LOOP;
END $$;
"""


async def _make_resettable(url: str) -> None:
    tables = [table.name for table in Base.metadata.sorted_tables] + ["alembic_version"]
    connection = await asyncpg.connect(_asyncpg_dsn(url), timeout=5)
    try:
        seeded = [
            name
            for name in tables
            if await connection.fetchval(f"SELECT EXISTS (SELECT FROM public.{name})")
        ]
        # Parents before children when filling, children first when emptying; the SDG tally
        # last, as deleting recommendations updates it.
        emptied = [name for name in reversed(tables) if name not in seeded]
        emptied.sort(key=lambda name: name == "sdg_goal_tally")
        statements = ["CREATE SCHEMA test_seed", "CREATE TABLE test_seed.dirty (name text)"]
        statements.append(
            "CREATE TABLE test_seed.sequences AS SELECT format('%I.%I', schemaname, "
            "sequencename) AS name, coalesce(last_value, 1) AS value, last_value IS NOT NULL "
            "AS called FROM pg_sequences"
        )
        statements.append(
            "CREATE FUNCTION test_seed.mark_dirty() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO test_seed.dirty VALUES (TG_TABLE_NAME); RETURN NULL; END $$"
        )
        for name in seeded:
            statements.append(f"CREATE TABLE test_seed.{name} AS TABLE public.{name}")
            statements.append(
                f"CREATE TRIGGER test_seed_dirty AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON public.{name} FOR EACH STATEMENT EXECUTE FUNCTION test_seed.mark_dirty()"
            )
        statements.append(_reset_function(seeded, emptied))
        await connection.execute(";\n".join(statements))
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=BACKENDS)
def template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    """Each backend's template: migrated and seeded once per session (per xdist worker)."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "template.db"
        yield Template("sqlite", _prepare(f"sqlite+aiosqlite:///{path}"))
        return
    with scratch_postgres("rectrack_test") as url:
        _prepare(url)
        asyncio.run(_make_resettable(url))
        yield Template("postgresql", url)


@pytest.fixture
def database_url(template: Template, tmp_path: Path) -> str:
    """This test's database, in the state the migrations and the seed leave it: a copy of the
    template file on SQLite; on PostgreSQL the session's database with everything the previous
    test wrote removed."""
    return template.fresh(tmp_path)


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


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, not migrated: for migrations and the command line."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    with scratch_postgres("rectrack_empty") as url:
        yield url


async def clear_data(engine: AsyncEngine) -> None:
    """Remove everything but the reference data (for tests that reuse one database)."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(t.name for t in DATA_TABLES)
            await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in DATA_TABLES:
                await connection.execute(delete(table))


def settings_for_test(database_url: str, workdir: Path) -> Settings:
    """Settings for one test: its own database, secret and upload folder; cheap Argon2 (the
    tests check behaviour, not the cost of a hash)."""
    return Settings(
        database_url=database_url,
        environment="test",
        secret_key=SecretStr(secrets.token_urlsafe(32)),
        password_time_cost=1,
        password_memory_kib=1024,
        import_dir=workdir / "uploads",
        storage_dir=workdir / "files",
    )


@pytest.fixture(scope="session")
def built_app(template: Template, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """The app, built once per backend; `app` binds each test's settings to it."""
    workdir = tmp_path_factory.mktemp("app")
    return create_app(settings_for_test(template.url, workdir))


@pytest.fixture
async def app(built_app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    await built_app.state.engine.dispose()
    bind_settings(built_app, settings_for_test(database_url, tmp_path))
    yield built_app
    await built_app.state.engine.dispose()


ClientFactory = Callable[..., Awaitable[AsyncClient]]


@pytest.fixture
async def make_client(app: FastAPI) -> AsyncIterator[ClientFactory]:
    """Open API clients on the test app: `await make_client(role)`, `make_client(headers=…)`,
    `make_client(address="203.0.113.7")` for a client at that address."""
    opened: list[AsyncClient] = []

    async def make(
        role: Role | None = None,
        *,
        headers: dict[str, str] | None = None,
        base: str = "/api/v1",
        address: str = "127.0.0.1",
    ) -> AsyncClient:
        auth = headers or {}
        if role is not None:
            auth = bearer(app, await make_user(app, role))
        transport = ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
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


# Tests that time races, kill processes or fuzz a served copy: under pytest-xdist they all run
# on one worker, one after another, so that they never compete with each other for the CPU.
_ONE_AT_A_TIME = (
    "tests/fuzz/",
    "tests/reliability/test_crash_safety.py",
    "tests/reliability/test_webhook_crash.py",
    "tests/reliability/test_concurrency.py",
    "tests/test_backup_restore.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(_ONE_AT_A_TIME):
            item.add_marker(pytest.mark.xdist_group("one_at_a_time"))
    deselected = [item for item in items if not _runs_on_its_backend(item)]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if _runs_on_its_backend(item)]


def _runs_on_its_backend(item: pytest.Item) -> bool:
    """`@pytest.mark.only_on("postgresql")`: a test of one backend's feature is collected for
    that backend alone (its other runs are deselected, not skipped: there is nothing to say)."""
    marker = item.get_closest_marker("only_on")
    callspec = getattr(item, "callspec", None)
    if marker is None or callspec is None or "template" not in callspec.params:
        return True
    return callspec.params["template"] in marker.args
