"""Queries over the seeded reference data."""

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.country import Country
from app.models.mechanism import Mechanism, MechanismType
from app.models.sdg import SdgGoal, SdgTarget
from app.models.taxonomy import AffectedPerson, Theme
from app.pagination import KeysetOrder, PageParams, cursor_int, cursor_text, paginate

GOALS_BY_NUMBER = KeysetOrder[SdgGoal](
    name="number", columns=[SdgGoal.number], descending=False,
    key=lambda g: [g.number], parsers=[cursor_int], dump=lambda v: v,
)  # fmt: skip
TARGETS_IN_ORDER = KeysetOrder[SdgTarget](
    name="target", columns=[SdgTarget.sort_order], descending=False,
    key=lambda t: [t.sort_order], parsers=[cursor_int], dump=lambda v: v,
)  # fmt: skip
MECHANISMS_BY_CODE = KeysetOrder[Mechanism](
    name="code",
    columns=[Mechanism.code],
    descending=False,
    key=lambda m: [m.code],
    parsers=[cursor_text],
)
COUNTRIES_BY_ISO3 = KeysetOrder[Country](
    name="iso3",
    columns=[Country.iso3],
    descending=False,
    key=lambda c: [c.iso3],
    parsers=[cursor_text],
)


def _label_order(model: type[Theme] | type[AffectedPerson]) -> KeysetOrder[Any]:
    return KeysetOrder[Any](
        name="label", columns=[model.label], descending=False,
        key=lambda label: [label.label], parsers=[cursor_text],
    )  # fmt: skip


async def targets_per_goal(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(SdgTarget.goal_number, func.count()).group_by(SdgTarget.goal_number)
    )
    return dict(rows.all())


async def list_goals(
    session: AsyncSession, params: PageParams
) -> tuple[list[SdgGoal], str | None, int | None]:
    return await paginate(session, select(SdgGoal), GOALS_BY_NUMBER, params)


async def get_goal(session: AsyncSession, number: int) -> SdgGoal | None:
    stmt = select(SdgGoal).where(SdgGoal.number == number).options(selectinload(SdgGoal.targets))
    return (await session.scalars(stmt)).one_or_none()


async def list_targets(
    session: AsyncSession, goal: int | None, params: PageParams
) -> tuple[list[SdgTarget], str | None, int | None]:
    stmt = select(SdgTarget)
    if goal is not None:
        stmt = stmt.where(SdgTarget.goal_number == goal)
    return await paginate(session, stmt, TARGETS_IN_ORDER, params)


async def list_mechanisms(
    session: AsyncSession, mechanism_type: MechanismType | None, params: PageParams
) -> tuple[list[Mechanism], str | None, int | None]:
    stmt = select(Mechanism)
    if mechanism_type is not None:
        stmt = stmt.where(Mechanism.type == mechanism_type)
    return await paginate(session, stmt, MECHANISMS_BY_CODE, params)


async def get_mechanism(session: AsyncSession, code: str) -> Mechanism | None:
    return (await session.scalars(select(Mechanism).where(Mechanism.code == code))).one_or_none()


async def list_labels(
    session: AsyncSession, model: type[Theme] | type[AffectedPerson], params: PageParams
) -> tuple[list[Any], str | None, int | None]:
    return await paginate(session, select(model), _label_order(model), params)


async def get_label(
    session: AsyncSession, model: type[Theme] | type[AffectedPerson], label_id: uuid.UUID
) -> Theme | AffectedPerson | None:
    return await session.get(model, label_id)


async def list_countries(
    session: AsyncSession, region: str | None, params: PageParams
) -> tuple[list[Country], str | None, int | None]:
    stmt = select(Country)
    if region is not None:
        stmt = stmt.where(Country.region == region)
    return await paginate(session, stmt, COUNTRIES_BY_ISO3, params)


async def get_country(session: AsyncSession, iso3: str) -> Country | None:
    return await session.get(Country, iso3.upper())
