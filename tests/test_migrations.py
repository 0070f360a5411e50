"""The models and the migrations describe the same schema, and migrations run both ways."""

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError

from app.config import Settings
from app.db import create_engine
from app.migrations import alembic_config
from app.models import Base
from tests.conftest import _seed


def test_models_match_migrations(database_url: str) -> None:
    try:
        command.check(alembic_config(database_url))
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"models and migrations differ: {exc}") from exc


# What the migrations make beside the models' tables and indexes, written out by hand.
FTS_TABLES = {"recommendation_search_fts", "recommendation_search_fts_config",
              "recommendation_search_fts_data", "recommendation_search_fts_docsize",
              "recommendation_search_fts_idx"}  # fmt: skip
SEARCH_INDEX = {"sqlite": set(), "postgresql": {"ix_recommendation_search_document_trgm"}}
TALLY_TRIGGERS = {"sdg_goal_tally_insert", "sdg_goal_tally_update", "sdg_goal_tally_delete"}
TRIGGERS = {
    "sqlite": TALLY_TRIGGERS | {f"recommendation_search_{t}" for t in ("ai", "ad", "au")},
    "postgresql": TALLY_TRIGGERS,
}
FUNCTIONS = {"sqlite": set(), "postgresql": {"sdg_goal_tally_follow"}}
# Functions of the public schema that no extension (pg_trgm) brought.
PG_FUNCTIONS = """SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND NOT EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"""
PG_TRIGGERS = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
SQLITE_TRIGGERS = "SELECT name FROM sqlite_master WHERE type = 'trigger'"


@dataclass(frozen=True)
class Schema:
    tables: frozenset[str]
    columns: frozenset[tuple[str, str]]
    indexes: frozenset[str]
    triggers: frozenset[str]
    functions: frozenset[str]


def _inspect(connection: sa.Connection) -> Schema:
    inspector = sa.inspect(connection)
    tables = set(inspector.get_table_names())
    sqlite = connection.dialect.name == "sqlite"
    triggers = connection.execute(sa.text(SQLITE_TRIGGERS if sqlite else PG_TRIGGERS))
    functions = set() if sqlite else set(connection.execute(sa.text(PG_FUNCTIONS)).scalars())
    plain = tables - FTS_TABLES
    return Schema(
        tables=frozenset(tables),
        columns=frozenset((t, c["name"]) for t in plain for c in inspector.get_columns(t)),
        indexes=frozenset(str(i["name"]) for t in plain for i in inspector.get_indexes(t)),
        triggers=frozenset(triggers.scalars()),
        functions=frozenset(functions),
    )


async def _read_schema(url: str) -> Schema:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_inspect)
    finally:
        await engine.dispose()


def _schema_at_head(url: str) -> Schema:
    schema = asyncio.run(_read_schema(url))
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    models = Base.metadata.tables.values()
    extra = FTS_TABLES if backend == "sqlite" else set()
    assert schema.tables == {t.name for t in models} | extra | {"alembic_version"}
    assert {(t.name, c.name) for t in models for c in t.columns} <= schema.columns
    declared = {str(i.name) for t in models for i in t.indexes}
    assert declared | SEARCH_INDEX[backend] <= schema.indexes
    assert schema.triggers == TRIGGERS[backend]
    assert schema.functions == FUNCTIONS[backend]
    return schema


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "head")
    first = _schema_at_head(empty_database_url)

    command.downgrade(config, "base")
    assert asyncio.run(_read_schema(empty_database_url)) == Schema(
        tables=frozenset({"alembic_version"}),
        columns=frozenset({("alembic_version", "version_num")}),
        indexes=frozenset(), triggers=frozenset(), functions=frozenset(),
    )  # fmt: skip

    command.upgrade(config, "head")
    assert _schema_at_head(empty_database_url) == first


_recommendation = sa.table(
    "recommendation",
    sa.column("id", sa.Uuid()), sa.column("symbol"), sa.column("type"),
    sa.column("mechanism_id"), sa.column("publication_date", sa.Date()),
    sa.column("text", sa.JSON()), sa.column("upr_position"), sa.column("status"),
    sa.column("archived", sa.Boolean()), sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)), sa.column("version"),
    sa.column("sdg_goal_mask"),
)  # fmt: skip
_country_link = sa.table(
    "recommendation_country", sa.column("recommendation_id", sa.Uuid()), sa.column("country_iso3")
)


async def _recommendations_at_0006(url: str) -> list[uuid.UUID]:
    """Two recommendations written as revision 0006 stored them: goals 5 and 16, one archived."""
    engine = create_engine(Settings(database_url=url))
    now = dt.datetime.now(dt.UTC)
    ids = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4()]
    rows = [
        (ids[0], dt.date(2019, 3, 1), "noted", 2**4 + 2**15, False),
        (ids[1], dt.date(2021, 7, 9), None, 2**4, False),
        (ids[2], dt.date(2022, 1, 1), None, 2**4, True),
    ]
    try:
        async with engine.begin() as connection:
            mechanism = (
                await connection.execute(sa.text("SELECT id FROM mechanism WHERE code = 'UPR'"))
            ).scalar_one()
            for rec_id, published, position, mask, archived in rows:
                values = {
                    "id": rec_id, "symbol": "A/HRC/1", "type": "recommendation",
                    "mechanism_id": mechanism, "publication_date": published, "text": {"en": "t"},
                    "upr_position": position, "status": 1, "archived": archived,
                    "created_at": now, "updated_at": now, "version": 1, "sdg_goal_mask": mask,
                }  # fmt: skip
                await connection.execute(_recommendation.insert().values(**values))
                await connection.execute(
                    _country_link.insert().values(recommendation_id=rec_id, country_iso3="KEN")
                )
    finally:
        await engine.dispose()
    return ids


async def _after_upgrade(url: str) -> tuple[set[tuple[str, str]], set[tuple[int, str, int]]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            links = await connection.execute(
                sa.text(
                    "SELECT r.publication_date, link.publication_date FROM recommendation r "
                    "JOIN recommendation_country link ON link.recommendation_id = r.id"
                )
            )
            tally = await connection.execute(
                sa.text(
                    "SELECT goal, upr_position, recommendations FROM sdg_goal_tally "
                    "WHERE recommendations <> 0"
                )
            )
            return (
                {(str(own), str(copied)) for own, copied in links.all()},
                {(goal, position, count) for goal, position, count in tally.all()},
            )
    finally:
        await engine.dispose()


def test_upgrade_over_existing_recommendations(empty_database_url: str) -> None:
    """0007 copies each date onto the country links; 0008 tallies what is already there."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0006")
    asyncio.run(_seed(empty_database_url))
    asyncio.run(_recommendations_at_0006(empty_database_url))
    command.upgrade(config, "head")
    links, tally = asyncio.run(_after_upgrade(empty_database_url))
    assert links == {
        ("2019-03-01", "2019-03-01"),
        ("2021-07-09", "2021-07-09"),
        ("2022-01-01", "2022-01-01"),
    }
    assert tally == {(0, "noted", 1), (0, "none", 1), (5, "noted", 1), (5, "none", 1),
                     (16, "noted", 1)}  # fmt: skip


async def _signatures_at_0019(url: str) -> None:
    """A recommendation to two States with signatures in two languages, as 0018 kept them."""
    engine = create_engine(Settings(database_url=url))
    now = dt.datetime.now(dt.UTC)
    rec_id, alone, published = uuid.uuid4(), uuid.uuid4(), dt.date(2020, 5, 1)
    try:
        async with engine.begin() as connection:
            mechanism = (
                await connection.execute(sa.text("SELECT id FROM mechanism WHERE code = 'UPR'"))
            ).scalar_one()
            for one in (rec_id, alone):
                await connection.execute(_recommendation.insert().values(
                    id=one, symbol="A/HRC/1", type="recommendation", mechanism_id=mechanism,
                    publication_date=published, text={"en": "t", "fr": "t"}, upr_position=None,
                    status=1, archived=False, created_at=now, updated_at=now, version=1,
                    sdg_goal_mask=0,
                ))  # fmt: skip
            for iso3 in ("KEN", "UGA"):
                await connection.execute(
                    sa.text(
                        "INSERT INTO recommendation_country "
                        "(recommendation_id, country_iso3, publication_date) VALUES (:r, :c, :d)"
                    ).bindparams(sa.bindparam("r", type_=sa.Uuid()), c=iso3, d=published),
                    {"r": rec_id},
                )
            insert = sa.text(
                "INSERT INTO similarity_signature (recommendation_id, language, signature) "
                "VALUES (:r, :l, :s)"
            ).bindparams(sa.bindparam("r", type_=sa.Uuid()))
            for language in ("en", "fr"):
                await connection.execute(
                    insert, {"r": rec_id, "l": language, "s": language.encode()}
                )
            # One to no State (an import without a country), in English only.
            await connection.execute(insert, {"r": alone, "l": "en", "s": b"alone"})
    finally:
        await engine.dispose()


async def _signature_rows(url: str) -> set[tuple[str, ...]]:
    engine = create_engine(Settings(database_url=url))
    try:
        async with engine.connect() as connection:
            columns = [c["name"] for c in await connection.run_sync(
                lambda sync: sa.inspect(sync).get_columns("similarity_signature")
            )]  # fmt: skip
            by_state = "country_iso3" in columns
            rows = await connection.execute(
                sa.text(
                    "SELECT country_iso3, language, languages, signature FROM similarity_signature"
                )
                if by_state
                else sa.text("SELECT language, signature FROM similarity_signature")
            )
            return {
                (*(str(value) for value in row[:-1]), bytes(row[-1]).decode()) for row in rows.all()
            }
    finally:
        await engine.dispose()


def test_signatures_are_carried_over_to_each_state_and_back(empty_database_url: str) -> None:
    """0020 keys the near-duplicate signatures by State: each is kept once per State."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0019")
    asyncio.run(_seed(empty_database_url))
    asyncio.run(_signatures_at_0019(empty_database_url))
    command.upgrade(config, "0020")
    # Bits 1 and 2: English and French (minhash.LANGUAGE_BITS).
    assert asyncio.run(_signature_rows(empty_database_url)) == {
        ("KEN", "en", "3", "en"), ("KEN", "fr", "3", "fr"),
        ("UGA", "en", "3", "en"), ("UGA", "fr", "3", "fr"), ("", "en", "1", "alone"),
    }  # fmt: skip
    command.downgrade(config, "0019")
    assert asyncio.run(_signature_rows(empty_database_url)) == {
        ("en", "en"), ("fr", "fr"), ("en", "alone"),
    }  # fmt: skip
