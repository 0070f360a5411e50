"""Engine, sessions and the one-transaction-per-request session dependency."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.exc import StaleDataError

from app.config import Settings
from app.errors import Conflict, PreconditionFailed
from app.models.base import Base

logger = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def create_engine(settings: Settings) -> AsyncEngine:
    # hide_parameters: SQL errors and echoed statements never carry the values bound to them
    # (emails, password hashes, token digests) into the logs.
    common: dict[str, Any] = {"echo": settings.sql_echo, "hide_parameters": True}
    if settings.is_sqlite:
        engine = create_async_engine(settings.database_url, **common)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(settings.database_url, pool_size=10, pool_pre_ping=True, **common)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction: committed when the handler returns, else rolled back.

    Declared with scope="function" so that the commit happens before the response is sent: a
    failed commit becomes an error response instead of a success that was never stored.
    """
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    async with sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        for work in session.info.pop(_AFTER_COMMIT, []):
            try:
                await work(session)
            except Exception:
                logger.exception("work after the request's commit failed")
            finally:
                await session.rollback()


_AFTER_COMMIT = "rectrack_after_commit"


def after_commit(session: AsyncSession, work: Callable[[AsyncSession], Awaitable[None]]) -> None:
    """Run `work` once the request's transaction is committed (not if it is rolled back), with
    the same session in a new transaction: for what must see the commit, such as removing a
    file no committed row uses any more. Its failure is logged; the answer stands."""
    session.info.setdefault(_AFTER_COMMIT, []).append(work)


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def flush_or_conflict(
    session: AsyncSession, conflict: str = "This would duplicate a unique value."
) -> None:
    """Flush, turning the races that validation cannot rule out into 409 and 412."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise PreconditionFailed(
            "The resource was changed by someone else meanwhile. Read it again and retry."
        ) from exc
    except IntegrityError as exc:
        raise Conflict(conflict) from exc


async def insert_missing(
    session: AsyncSession,
    model: type[Base],
    rows: list[dict[str, Any]],
    returning: InstrumentedAttribute[Any],
) -> list[Any]:
    """INSERT … ON CONFLICT DO NOTHING, returning `returning` of the rows this call added.

    Rows that a concurrent writer added first are skipped rather than failing the request:
    adding what is already there is no error.
    """
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    build = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = build(model).values(rows).on_conflict_do_nothing().returning(returning)
    return list((await session.scalars(statement)).all())
