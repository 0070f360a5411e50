"""Options for the workspace's select boxes, labelled in the page's language, sorted by label.

Each is one small query; shared by every page that offers the choice.
"""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def countries(session: AsyncSession, lang: Language) -> Choices:
    rows = (await session.execute(select(Country.iso3, Country.name))).all()
    return _by_label([(iso3, localize(name, lang)) for iso3, name in rows])


async def mechanisms(session: AsyncSession, lang: Language) -> Choices:
    rows = (await session.execute(select(Mechanism.code, Mechanism.name))).all()
    return sorted(
        ((code, f"{code} — {localize(name, lang)}" if localize(name, lang) != code else code)
         for code, name in rows),
        key=lambda pair: pair[0].casefold(),
    )  # fmt: skip


async def themes(session: AsyncSession, lang: Language) -> Choices:
    rows = (await session.execute(select(Theme.id, Theme.name))).all()
    return _by_label([(str(theme_id), localize(name, lang)) for theme_id, name in rows])


async def goal_names(session: AsyncSession, lang: Language) -> dict[int, str]:
    """Each goal's short title, by number."""
    rows = (await session.execute(select(SdgGoal.number, SdgGoal.short_title))).all()
    return {number: localize(title, lang) for number, title in rows}


async def clusters(session: AsyncSession) -> Choices:
    rows = await session.execute(
        select(Cluster.id, Cluster.name).where(Cluster.archived.is_(False))
    )
    return _by_label([(str(cluster_id), name) for cluster_id, name in rows.all()])


async def institutions(session: AsyncSession) -> Choices:
    rows = await session.execute(
        select(Institution.id, Institution.name, Institution.acronym).where(
            Institution.archived.is_(False)
        )
    )
    return _by_label(
        [(str(i), f"{name} ({acronym})" if acronym else name) for i, name, acronym in rows.all()]
    )


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
    rows = await session.execute(select(Country.iso3, Country.name).where(Country.iso3.in_(codes)))
    return {iso3: localize(name, lang) for iso3, name in rows.all()}


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
