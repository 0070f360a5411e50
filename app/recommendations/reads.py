"""Read models for pages of recommendations: tags fetched as plain rows, in one query.

Loading them as ORM objects (selectinload) built some ten objects per recommendation and
dominated the cost of a page; this query returns tuples and nothing else.
"""

import functools
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    Executable,
    Integer,
    Select,
    String,
    Uuid,
    any_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.i18n import DEFAULT_LANGUAGE, Language
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.mechanism import Mechanism
from app.models.recommendation import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    RecommendationTheme,
    RecommendingState,
)
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations.schemas import RecommendationRead, Tags

# The kinds of tag, in the `kind` column of the one query that reads them all.
_COUNTRY, _STATE, _THEME, _GROUP, _GOAL, _TARGET, _CLUSTER = range(7)


def localized_label(names: Any, lang: Language) -> Any:
    """The label in `lang`, falling back to English, read out of the JSON in SQL: decoding
    every label's six names in Python cost more than the query."""
    english = names[DEFAULT_LANGUAGE].as_string()
    if lang == DEFAULT_LANGUAGE:
        return english
    return func.coalesce(func.nullif(names[lang].as_string(), ""), english)


@functools.cache
def _tag_statement(dialect: str, lang: Language) -> Executable:
    """Every tag of a page of recommendations in one round trip: (recommendation, kind, text,
    id). One statement instead of seven saves six round trips per page. Built once per
    dialect and language; the page's ids are its one parameter, bound as an array on
    PostgreSQL (an IN list of fifty was rendered afresh on every request)."""
    ids: Any = bindparam("ids", type_=ARRAY(Uuid)) if dialect == "postgresql" else None
    no_id = cast(null(), Uuid)

    def of_page(column: Any) -> Any:
        if ids is None:
            return column.in_(bindparam("ids", expanding=True))
        return column == any_(ids)

    def kind(number: int) -> Any:
        return literal(number, Integer)

    rc, rs, rt, ra = (
        RecommendationCountry,
        RecommendingState,
        RecommendationTheme,
        RecommendationAffectedPerson,
    )
    rg, rtg, cr = RecommendationSdgGoal, RecommendationSdgTarget, ClusterRecommendation
    return union_all(
        select(rc.recommendation_id, kind(_COUNTRY), rc.country_iso3, no_id).where(
            of_page(rc.recommendation_id)
        ),
        select(rs.recommendation_id, kind(_STATE), rs.name, no_id).where(
            of_page(rs.recommendation_id)
        ),
        select(rt.recommendation_id, kind(_THEME), localized_label(Theme.name, lang), Theme.id)
        .join(Theme, Theme.id == rt.theme_id)
        .where(of_page(rt.recommendation_id)),
        select(
            ra.recommendation_id,
            kind(_GROUP),
            localized_label(AffectedPerson.name, lang),
            AffectedPerson.id,
        )
        .join(AffectedPerson, AffectedPerson.id == ra.affected_person_id)
        .where(of_page(ra.recommendation_id)),
        select(rg.recommendation_id, kind(_GOAL), cast(rg.goal_number, String), no_id).where(
            of_page(rg.recommendation_id)
        ),
        select(rtg.recommendation_id, kind(_TARGET), rtg.target_code, no_id).where(
            of_page(rtg.recommendation_id)
        ),
        select(cr.recommendation_id, kind(_CLUSTER), Cluster.name, Cluster.id)
        .join(Cluster, Cluster.id == cr.cluster_id)
        .where(of_page(cr.recommendation_id), Cluster.archived.is_(False)),
    )


async def _fetch_tags(session: AsyncSession, ids: list[uuid.UUID], lang: Language) -> Sequence[Any]:
    statement = _tag_statement(session.get_bind().dialect.name, lang)
    return (await session.execute(statement, {"ids": ids})).all()


@functools.cache
def select_for_read(lang: Language) -> Select[*tuple[Any, ...]]:
    """What a read model needs of recommendations and their mechanisms, as plain rows: loading
    ORM objects for a page cost more than its queries. Built once per language (statements are
    immutable; building this one cost a third of a request)."""
    r, mechanism = Recommendation, aliased(Mechanism)
    return select(
        r.id, r.uhri_id, r.symbol, r.paragraph, r.type, r.publication_date, r.text,
        r.upr_position, r.upr_cycle, r.upr_session, r.priority, r.status, r.archived,
        r.follow_up_due, r.created_at, r.updated_at, r.version,
        mechanism.code.label("mechanism_code"),
        mechanism.type.label("mechanism_type"),
        localized_label(mechanism.name, lang).label("mechanism_name"),
    ).join(mechanism, mechanism.id == r.mechanism_id)  # fmt: skip


async def read_models(
    session: AsyncSession, rows: Sequence[Any], lang: Language
) -> list[RecommendationRead]:
    """Read models of rows selected by select_for_read(lang)."""
    if not rows:
        return []
    tags = {row.id: Tags() for row in rows}
    for rec_id, kind, text, tag_id in await _fetch_tags(session, list(tags), lang):
        found = tags[rec_id]
        if kind == _COUNTRY:
            found.countries.append(text)
        elif kind == _STATE:
            found.recommending_states.append(text)
        elif kind == _THEME:
            found.themes.append((tag_id, text))
        elif kind == _GROUP:
            found.affected_persons.append((tag_id, text))
        elif kind == _GOAL:
            found.sdg_goals.append(int(text))
        elif kind == _TARGET:
            found.sdg_targets.append(text)
        else:
            found.clusters.append((tag_id, text))
    return [
        RecommendationRead.assemble(
            row,
            {"code": row.mechanism_code, "type": row.mechanism_type, "name": row.mechanism_name},
            tags[row.id],
        )
        for row in rows
    ]
