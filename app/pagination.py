"""Keyset pagination with opaque cursors, and the list envelope every list endpoint answers."""

import base64
import binascii
import datetime as dt
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from app.errors import BadRequest

T = TypeVar("T")
Row = TypeVar("Row")

MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    # Left out unless asked for; exclude_if keeps serialisation in pydantic-core, where a
    # wrap serializer cost a millisecond a page.
    total: int | None = Field(default=None, exclude_if=lambda total: total is None)


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None
    include_total: bool


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = 50,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="`next_cursor` of the previous page.")
    ] = None,
    include_total: Annotated[bool, Query(description="Also count every matching item.")] = False,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor, include_total=include_total)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class KeysetOrder(Generic[Row]):
    """An ordering for keyset paging: columns ending in a unique one, all in one direction.

    One direction for all columns lets the cursor condition be a single row-value comparison,
    which both backends answer with an index range scan.
    """

    name: str
    columns: Sequence[ColumnElement[Any] | QueryableAttribute[Any]]
    descending: bool
    key: Callable[[Row], Sequence[Any]]
    # Turn the JSON values stored in a cursor back into bind values; one per column.
    parsers: Sequence[Callable[[Any], Any]]
    dump: Callable[[Any], Any] = lambda value: value if value is None else str(value)

    def order_by(self) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, cursor_values: Sequence[Any]) -> ColumnElement[bool]:
        bound = [literal(v, c.type) for v, c in zip(cursor_values, self.columns, strict=True)]
        left, right = tuple_(*self.columns), tuple_(*bound)
        return left < right if self.descending else left > right


# Cursor values: anyone can write a cursor, so each value is checked for its column's type and
# range before it reaches SQL (a number too large for the column, or text holding NUL, which
# PostgreSQL cannot compare, would otherwise fail there as a 500).
_MAX_CURSOR_TEXT = 1000
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def cursor_text(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value or len(value) > _MAX_CURSOR_TEXT:
        raise ValueError("not a text cursor value")
    return value


def _integer(value: Any, bounds: tuple[int, int]) -> int:
    if type(value) is not int or not bounds[0] <= value <= bounds[1]:
        raise ValueError("not an integer cursor value in range")
    return value


def cursor_int(value: Any) -> int:
    return _integer(value, _INT32)


def cursor_bigint(value: Any) -> int:
    return _integer(value, _INT64)


def cursor_uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(cursor_text(value))


def cursor_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(cursor_text(value))


def cursor_timestamp(value: Any) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(cursor_text(value))
    if parsed.tzinfo is None:
        raise ValueError("a timestamp cursor value needs its zone")
    return parsed


def encode_cursor(order_name: str, values: Sequence[Any]) -> str:
    raw = json.dumps({"o": order_name, "v": list(values)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: KeysetOrder[Any]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(data, dict) or data.get("o") != order.name:
            raise ValueError("cursor belongs to another ordering")
        values = data["v"]
        if not isinstance(values, list) or len(values) != len(order.columns):
            raise ValueError("wrong number of values")
        return [parse(v) for parse, v in zip(order.parsers, values, strict=True)]
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise BadRequest(
            "The cursor is not valid for this list; start again without a cursor."
        ) from exc


async def paginate(
    session: AsyncSession, stmt: Select[Any], order: KeysetOrder[Row], params: PageParams
) -> tuple[list[Row], str | None, int | None]:
    """One page of `stmt` (selecting one ORM entity) in `order`, the cursor of the next page,
    and the total if asked."""
    return await _paginate(session, stmt, order, params, entities=True)


async def paginate_rows(
    session: AsyncSession, stmt: Select[Any], order: KeysetOrder[Any], params: PageParams
) -> tuple[list[Any], str | None, int | None]:
    """The same for a select of columns: plain rows, where building ORM objects costs too much."""
    return await _paginate(session, stmt, order, params, entities=False)


async def _paginate(
    session: AsyncSession,
    stmt: Select[Any],
    order: KeysetOrder[Any],
    params: PageParams,
    *,
    entities: bool,
) -> tuple[list[Any], str | None, int | None]:
    total = None
    if params.include_total:
        count_stmt = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = (await session.execute(count_stmt)).scalar_one()
    if params.cursor is not None:
        stmt = stmt.where(order.after(decode_cursor(params.cursor, order)))
    stmt = stmt.order_by(*order.order_by()).limit(params.limit + 1)
    result = await (session.scalars(stmt) if entities else session.execute(stmt))
    rows: list[Any] = list(result.all())
    next_cursor = None
    if len(rows) > params.limit:
        rows = rows[: params.limit]
        next_cursor = encode_cursor(order.name, [order.dump(v) for v in order.key(rows[-1])])
    return rows, next_cursor, total
