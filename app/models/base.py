"""Declarative base, constraint naming convention and the column types shared by models."""

import datetime as dt
import enum
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Dialect, MetaData, SmallInteger, TypeDecorator
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


E = TypeVar("E", bound=enum.Enum)


class RankedEnum(TypeDecorator[E], Generic[E]):
    """An enum stored as its rank (1, 2, 3…) so that sorting by it is an index scan.

    The rank is the member's position in the enum's declaration order.
    """

    impl = SmallInteger
    cache_ok = True

    def __init__(self, enum_class: type[E]) -> None:
        super().__init__()
        self.enum_class = enum_class
        self._members = list(enum_class)

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        member = self.enum_class(value)
        return self._members.index(member) + 1

    def process_result_value(self, value: int | None, dialect: Dialect) -> E | None:
        if value is None:
            return None
        return self._members[value - 1]
