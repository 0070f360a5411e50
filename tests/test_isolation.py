"""Each test starts from the migrated, seeded database, whatever the test before it wrote."""

import asyncio
from pathlib import Path

from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db import create_engine
from app.models import Base
from app.models.country import Country
from app.models.mechanism import Mechanism
from tests.conftest import Template

Snapshot = dict[str, list[tuple[object, ...]]]


async def _snapshot(engine: AsyncEngine) -> Snapshot:
    """Every row of every table, and where the mechanism ids would go on."""
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        rows = {}
        for name in sorted(names):
            table = Base.metadata.tables.get(name)
            statement = select(table) if table is not None else text(f"SELECT * FROM {name}")  # noqa: S608
            rows[name] = sorted(map(tuple, (await connection.execute(statement)).all()), key=repr)
        return rows


async def _write_everywhere(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(Mechanism).values(code="SR Test", type="special_procedure", name={})
        )
        await connection.execute(
            update(Country).where(Country.iso3 == "FRA").values(name={"en": "Changed"})
        )
        await connection.execute(text("UPDATE alembic_version SET version_num = 'old'"))


async def test_a_test_sees_nothing_an_earlier_test_wrote(
    template: Template, database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(Settings(database_url=database_url))
    try:
        before = await _snapshot(engine)
        await _write_everywhere(engine)
        assert await _snapshot(engine) != before
    finally:
        await engine.dispose()

    (tmp_path / "next").mkdir()
    again = create_engine(
        Settings(database_url=await asyncio.to_thread(template.fresh, tmp_path / "next"))
    )
    try:
        assert await _snapshot(again) == before
        async with again.begin() as connection:
            # The mechanism id sequence starts where the template left it, too.
            await connection.execute(
                insert(Mechanism).values(code="SR Again", type="special_procedure", name={})
            )
            added = (
                await connection.execute(select(Mechanism.id).where(Mechanism.code == "SR Again"))
            ).scalar_one()
            highest_seeded = max(int(str(row[0])) for row in before["mechanism"])
            assert added == highest_seeded + 1
    finally:
        await again.dispose()
