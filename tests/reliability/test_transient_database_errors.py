"""A database that is only busy (SQLite's lock wait ran out, a PostgreSQL deadlock or
serialization failure) is a 503 the client may retry, not a 500."""

import sqlite3

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.exc import DBAPIError, OperationalError

from tests.problems import assert_problem


class _PostgresError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("UPDATE x", {}, sqlite3.OperationalError("database is locked")),
        DBAPIError("UPDATE x", {}, _PostgresError("40P01")),
        DBAPIError("UPDATE x", {}, _PostgresError("40001")),
    ],
)
async def test_a_busy_database_is_503_with_retry_after(
    app: FastAPI, client: AsyncClient, error: DBAPIError
) -> None:
    async def busy() -> None:
        raise error

    app.add_api_route("/api/v1/test-busy", busy)
    response = await client.get("/test-busy")
    assert_problem(response, 503)
    assert response.headers["retry-after"] == "1"


async def test_other_database_errors_stay_500_without_details(
    app: FastAPI, client: AsyncClient
) -> None:
    async def broken() -> None:
        raise DBAPIError("SELECT secret FROM x", {}, _PostgresError("42P01"))

    app.add_api_route("/api/v1/test-broken", broken)
    response = await client.get("/test-broken")
    assert_problem(response, 500)
    assert "secret" not in response.text
