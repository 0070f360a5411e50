"""Options for the workspace's select boxes, labelled in the page's language, sorted by label.

Shared by every page that offers the choice. The lists every list page shows (countries,
mechanisms, themes, goals, clusters, institutions) are kept per process and language: reading,
localising and sorting them again on each request cost more than the page's own query. They are
read again as soon as one small query (a fingerprint of each table, once per transaction) sees
the table changed: a digest of every key and name for the reference data (changed by
`rectrack seed` and imports, perhaps in another process), and for clusters and institutions
their count, newest change and sum of versions (every edit, archiving included, bumps one).
"""

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Select, Text, cast, event, func, literal, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from app.i18n import Language, localize
from app.models.cluster import Cluster
from app.models.country import Country
from app.models.institution import Institution
from app.models.mechanism import Mechanism
from app.models.recommendation import Recommendation
from app.models.sdg import SdgGoal
from app.models.taxonomy import Theme
from app.models.user import Role, User

Choices = list[tuple[str, str]]


def _by_label(pairs: list[tuple[str, str]]) -> Choices:
    return sorted(pairs, key=lambda pair: pair[1].casefold())


def _named(model: Any, key: Any, names: Any, dialect: str) -> Any:
    """Every row's key and names in one value: PostgreSQL sends their digest; SQLite, in
    process, the text itself. Any row added, removed or renamed changes it."""
    row = cast(key, Text) + "=" + cast(names, Text)
    if dialect == "postgresql":
        return select(
            func.md5(func.string_agg(row, aggregate_order_by(literal("|", Text), key)))
        ).scalar_subquery()
    ordered = select(row.label("row")).select_from(model).order_by(key).subquery()
    return select(func.group_concat(ordered.c.row, "|")).scalar_subquery()


def _edited(model: Any) -> list[Any]:
    return [
        select(func.count()).select_from(model).scalar_subquery(),
        select(func.max(model.updated_at)).scalar_subquery(),
        select(func.coalesce(func.sum(model.version), 0)).scalar_subquery(),
    ]


# Each cached list's part of the fingerprint: a slice of the row _fingerprint() returns.
_PARTS = {
    "country": slice(0, 1), "mechanism": slice(1, 2), "theme": slice(2, 3), "goal": slice(3, 4),
    "cluster": slice(4, 7), "institution": slice(7, 10),
}  # fmt: skip


@functools.cache
def _fingerprint(dialect: str) -> Select[Any]:
    return select(
        _named(Country, Country.iso3, Country.name, dialect),
        _named(Mechanism, Mechanism.code, Mechanism.name, dialect),
        _named(Theme, Theme.id, Theme.name, dialect),
        _named(SdgGoal, SdgGoal.number, SdgGoal.short_title, dialect),
        *_edited(Cluster), *_edited(Institution),
    )  # fmt: skip


_SEEN = "choices_fingerprint"  # the key of this transaction's fingerprint in Session.info
Kept = dict[tuple[str, str | None], tuple[tuple[Any, ...], Any]]
# Per database (engine): (table, language) → (its fingerprint, the list).
_caches: WeakKeyDictionary[Engine | Connection, Kept] = WeakKeyDictionary()


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_fingerprint(session: Session, *_: Any) -> None:
    """A write (or another transaction) may change the tables: fingerprint them again."""
    session.info.pop(_SEEN, None)


@event.listens_for(Session, "do_orm_execute")
def _forget_on_write(state: ORMExecuteState) -> None:
    if not state.is_select:  # an UPDATE or DELETE statement, which flushes nothing
        state.session.info.pop(_SEEN, None)


async def _kept(
    session: AsyncSession, table: str, lang: Language | None,
    read: Callable[[], Awaitable[Any]],
) -> Any:  # fmt: skip
    """The list `read` returns, from the cache while its table's fingerprint is unchanged."""
    seen = session.info.get(_SEEN)
    if seen is None:
        statement = _fingerprint(session.get_bind().dialect.name)
        seen = session.info[_SEEN] = tuple((await session.execute(statement)).one())
    fingerprint = seen[_PARTS[table]]
    cache = _caches.setdefault(session.get_bind(), {})
    kept = cache.get((table, lang))
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    value = await read()
    cache[(table, lang)] = (fingerprint, value)
    return value


async def countries(session: AsyncSession, lang: Language) -> Choices:
    async def read() -> Choices:
        rows = (await session.execute(select(Country.iso3, Country.name))).all()
        return _by_label([(iso3, localize(name, lang)) for iso3, name in rows])

    return list(await _kept(session, "country", lang, read))


async def mechanisms(session: AsyncSession, lang: Language) -> Choices:
    async def read() -> Choices:
        rows = (await session.execute(select(Mechanism.code, Mechanism.name))).all()
        return sorted(
            ((code, f"{code} — {localize(name, lang)}" if localize(name, lang) != code else code)
             for code, name in rows),
            key=lambda pair: pair[0].casefold(),
        )  # fmt: skip

    return list(await _kept(session, "mechanism", lang, read))


async def themes(session: AsyncSession, lang: Language) -> Choices:
    async def read() -> Choices:
        rows = (await session.execute(select(Theme.id, Theme.name))).all()
        return _by_label([(str(theme_id), localize(name, lang)) for theme_id, name in rows])

    return list(await _kept(session, "theme", lang, read))


async def goal_names(session: AsyncSession, lang: Language) -> dict[int, str]:
    """Each goal's short title, by number."""

    async def read() -> dict[int, str]:
        rows = (await session.execute(select(SdgGoal.number, SdgGoal.short_title))).all()
        return {number: localize(title, lang) for number, title in rows}

    return dict(await _kept(session, "goal", lang, read))


async def clusters(session: AsyncSession) -> Choices:
    async def read() -> Choices:
        rows = await session.execute(
            select(Cluster.id, Cluster.name).where(Cluster.archived.is_(False))
        )
        return _by_label([(str(cluster_id), name) for cluster_id, name in rows.all()])

    return list(await _kept(session, "cluster", None, read))


async def institutions(session: AsyncSession) -> Choices:
    async def read() -> Choices:
        rows = await session.execute(
            select(Institution.id, Institution.name, Institution.acronym).where(
                Institution.archived.is_(False)
            )
        )
        return _by_label(
            [(str(i), f"{name} ({acronym})" if acronym else name)
             for i, name, acronym in rows.all()]
        )  # fmt: skip

    return list(await _kept(session, "institution", None, read))


async def focal_points(session: AsyncSession) -> Choices:
    """Active focal points, each with their institution."""
    rows = await session.execute(
        select(User.id, User.name, Institution.name)
        .join(Institution, Institution.id == User.institution_id)
        .where(User.role == Role.focal_point, User.active.is_(True))
    )
    return _by_label([(str(i), f"{name} — {place}") for i, name, place in rows.all()])


async def names_of_users(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(ids)))
    return dict(rows.all())


async def names_of_institutions(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Institution.id, Institution.name).where(Institution.id.in_(ids))
    )
    return dict(rows.all())


async def names_of_countries(
    session: AsyncSession, codes: set[str], lang: Language
) -> dict[str, str]:
    if not codes:
        return {}
    named = dict(await countries(session, lang))  # every country, cached
    return {code: named[code] for code in codes if code in named}


async def names_of_recommendations(
    session: AsyncSession, ids: set[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    """Each recommendation's symbol and paragraph (`rec_label` in macros.html shows them)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(Recommendation.id, Recommendation.symbol, Recommendation.paragraph).where(
            Recommendation.id.in_(ids)
        )
    )
    return {i: (symbol, paragraph) for i, symbol, paragraph in rows}
