import asyncio
import secrets
import threading

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import text

from app.config import Settings
from app.main import create_app
from tests.problems import assert_problem


async def test_healthz(root_client: AsyncClient) -> None:
    response = await root_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_readyz_when_migrated(root_client: AsyncClient) -> None:
    response = await root_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_when_the_schema_is_behind(app: FastAPI, root_client: AsyncClient) -> None:
    async with app.state.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    try:
        response = await root_client.get("/readyz")
        assert_problem(response, 503)
        assert "rectrack db upgrade" in response.json()["detail"]
    finally:
        async with app.state.engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :head"),
                {"head": app.state.head_revision},
            )


async def test_readyz_when_the_database_is_unreachable(tmp_path: object) -> None:
    before = set(threading.enumerate())
    app = create_app(
        Settings(
            database_url="sqlite+aiosqlite:////nonexistent/dir/x.db",
            secret_key=SecretStr(secrets.token_hex(32)),
        )
    )
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as client:
        assert_problem(await client.get("/readyz"), 503)
    await app.state.engine.dispose()
    # aiosqlite's thread of the connection that failed hands its end back to this event loop:
    # let it finish while the loop runs, or it fails in the next test's time ("loop is closed").
    for thread in set(threading.enumerate()) - before:
        await asyncio.to_thread(thread.join, 10)
