"""Checking that ids a request names exist: a 422 naming each unknown one, before any write."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import FieldProblem, UnprocessableEntity

_CHUNK = 1000


async def require_existing(
    session: AsyncSession, id_column: Any, ids: Iterable[uuid.UUID], field: str, what: str
) -> list[uuid.UUID]:
    """The ids, without repeats, once every one of them is known."""
    wanted = list(dict.fromkeys(ids))
    found: set[uuid.UUID] = set()
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        found.update((await session.scalars(select(id_column).where(id_column.in_(chunk)))).all())
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise UnprocessableEntity(
            f"{len(unknown)} {what} id(s) do not exist; nothing was changed.",
            errors=[
                FieldProblem(field=f"body.{field}", message=f"unknown {what}: {i}", code="unknown")
                for i in unknown[:100]
            ],
        )
    return wanted
