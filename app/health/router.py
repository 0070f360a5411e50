"""Liveness and readiness probes, outside /api/v1."""

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from app.errors import Problem, problem_response, problem_responses

router = APIRouter(tags=["health"])


# 422: an unknown query parameter, as everywhere (app/query_params.py).
@router.get("/healthz", summary="The process is up", responses=problem_responses(422))
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The database is reachable and its schema is at the latest migration",
    responses={**problem_responses(422), 503: {"model": Problem, "description": "Not ready"}},
)
async def readyz(request: Request) -> Any:
    engine: AsyncEngine = request.app.state.engine
    expected: str | None = request.app.state.head_revision
    try:
        async with engine.connect() as connection:
            current = (
                await connection.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar_one_or_none()
    except SQLAlchemyError:
        return problem_response(
            503, "Not ready", "The database cannot be reached or is not migrated.", slug="not-ready"
        )
    if current != expected:
        return problem_response(
            503,
            "Not ready",
            f"The database schema is at {current}, the code expects {expected}: "
            "run `rectrack db upgrade`.",
            slug="not-ready",
        )
    return {"status": "ready", "migration": current}
