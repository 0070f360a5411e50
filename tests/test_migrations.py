"""The models and the migrations describe the same schema, and migrations run both ways."""

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.util.exc import CommandError

from app.config import Settings
from app.db import create_engine
from app.migrations import alembic_config
from tests.conftest import _seed, scratch_postgres


def test_models_match_migrations(database_url: str) -> None:
    try:
        command.check(alembic_config(database_url))
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"models and migrations differ: {exc}") from exc


def test_downgrade_and_upgrade_again(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, not migrated: for migrations run over existing data."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/upgraded.db"
        return
    with scratch_postgres("rectrack_migrate") as url:
        yield url


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
