"""The recommendation filters of DESIGN §2, shared by the list and the progress endpoints.

Values within one filter are alternatives (OR); different filters all apply (AND). Values that
name reference data which does not exist are refused with 422 rather than matching nothing.
"""

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from pydantic import Field
from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.errors import FieldProblem, UnprocessableEntity
from app.json_types import IsoDate
from app.models.assignment import Assignment
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.country import Country
from app.models.institution import Institution
from app.models.mechanism import Mechanism, MechanismType
from app.models.recommendation import (
    Priority,
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationCountry,
    RecommendationSdgTarget,
    RecommendationTheme,
    RecommendationType,
    RecommendingState,
    Status,
    UprPosition,
    has_any_goal,
)
from app.models.sdg import SdgTarget
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations.search import parse_terms, search_condition

NONE = "none"


@dataclass(frozen=True)
class RecommendationFilters:
    uhri_id: Sequence[str] = ()
    symbol: Sequence[str] = ()
    country: Sequence[str] = ()
    mechanism_ids: Sequence[int] = ()
    mechanism_type: Sequence[MechanismType] = ()
    type: Sequence[RecommendationType] = ()
    upr_position: Sequence[str] = ()
    upr_cycle: Sequence[int] = ()
    recommending_state: Sequence[str] = ()
    sdg_goal: Sequence[int] = ()
    sdg_target: Sequence[str] = ()
    theme: Sequence[uuid.UUID] = ()
    affected_person: Sequence[uuid.UUID] = ()
    status: Sequence[Status] = ()
    priority: Sequence[str] = ()
    published_from: dt.date | None = None
    published_to: dt.date | None = None
    archived: bool = False
    search_terms: Sequence[str] = ()
    cluster: Sequence[uuid.UUID] = ()
    institution: Sequence[uuid.UUID] = ()
    follow_up: bool | None = None

    def narrows(self) -> bool:
        """Whether any filter but the archive flag is set."""
        # follow_up=False narrows too: only None and empty sequences leave a filter unset.
        return any(
            getattr(self, f.name) not in (None, (), [])
            for f in dataclasses.fields(self)
            if f.name != "archived"
        )

    def apply(self, stmt: Select[Any], dialect: str) -> Select[Any]:
        return stmt.where(*self.conditions(dialect))

    def conditions(self, dialect: str) -> list[ColumnElement[bool]]:
        r = Recommendation
        where: list[ColumnElement[bool]] = [r.archived == self.archived]
        simple: list[tuple[Any, Sequence[Any]]] = [
            (r.uhri_id, self.uhri_id),
            (r.symbol, self.symbol),
            (r.mechanism_id, self.mechanism_ids),
            (r.type, self.type),
            (r.upr_cycle, self.upr_cycle),
            (r.status, self.status),
        ]
        where += [col.in_(values) for col, values in simple if values]
        if self.mechanism_type:
            types = select(Mechanism.id).where(Mechanism.type.in_(self.mechanism_type))
            where.append(r.mechanism_id.in_(types))
        where += _nullable_in(r.upr_position, self.upr_position)
        where += _nullable_in(r.priority, self.priority)
        links: list[tuple[Any, Any, Sequence[Any]]] = [
            (RecommendationCountry, RecommendationCountry.country_iso3, self.country),
            (RecommendingState, RecommendingState.name, self.recommending_state),
            (RecommendationSdgTarget, RecommendationSdgTarget.target_code, self.sdg_target),
            (RecommendationTheme, RecommendationTheme.theme_id, self.theme),
            (
                RecommendationAffectedPerson,
                RecommendationAffectedPerson.affected_person_id,
                self.affected_person,
            ),
            (ClusterRecommendation, ClusterRecommendation.cluster_id, self.cluster),
            (Assignment, Assignment.institution_id, self.institution),
        ]
        for link, col, values in links:
            if values:
                tagged = select(link.recommendation_id).where(col.in_(values))
                where.append(r.id.in_(tagged))
        if self.sdg_goal:
            # The mask holds the same goals as the link table, without a join to filter on it.
            where.append(has_any_goal(self.sdg_goal))
        if self.published_from is not None:
            where.append(r.publication_date >= self.published_from)
        if self.published_to is not None:
            where.append(r.publication_date <= self.published_to)
        if self.search_terms:
            where.append(search_condition(list(self.search_terms), dialect))
        if self.follow_up is not None:
            due = r.follow_up_due
            where.append(due.is_not(None) if self.follow_up else due.is_(None))
        return where


def _nullable_in(col: Any, values: Sequence[str]) -> list[ColumnElement[bool]]:
    """`col IN values`, where the value "none" also matches a null."""
    if not values:
        return []
    named = [v for v in values if v != NONE]
    options = [col.in_(named)] if named else []
    if NONE in values:
        options.append(col.is_(None))
    return [or_(*options)]


async def _unknown(session: AsyncSession, key: Any, values: Sequence[Any]) -> list[Any]:
    if not values:
        return []
    found = set((await session.scalars(select(key).where(key.in_(values)))).all())
    return [v for v in values if v not in found]


Many = Query()


async def recommendation_filters(
    session: SessionDep,
    uhri_id: Annotated[list[str] | None, Many] = None,
    symbol: Annotated[list[str] | None, Many] = None,
    country: Annotated[
        list[str] | None, Query(description="ISO3 code of a State concerned")
    ] = None,
    mechanism: Annotated[list[str] | None, Query(description="Mechanism code, e.g. CRC")] = None,
    mechanism_type: Annotated[list[MechanismType] | None, Many] = None,
    type: Annotated[list[RecommendationType] | None, Many] = None,
    upr_position: Annotated[list[UprPosition | Literal["none"]] | None, Many] = None,
    upr_cycle: Annotated[list[Annotated[int, Field(ge=1, le=4)]] | None, Many] = None,
    recommending_state: Annotated[list[str] | None, Many] = None,
    sdg_goal: Annotated[list[Annotated[int, Field(ge=1, le=17)]] | None, Many] = None,
    sdg_target: Annotated[list[str] | None, Query(description="Target code, e.g. 16.2")] = None,
    theme: Annotated[list[uuid.UUID] | None, Many] = None,
    affected_person: Annotated[list[uuid.UUID] | None, Many] = None,
    status: Annotated[list[Status] | None, Many] = None,
    priority: Annotated[list[Priority | Literal["none"]] | None, Many] = None,
    published_from: IsoDate | None = None,
    published_to: IsoDate | None = None,
    archived: bool = False,
    q: Annotated[
        str | None,
        Query(max_length=500, description='Words or "phrases" to find in any language\'s text'),
    ] = None,
    cluster: Annotated[list[uuid.UUID] | None, Many] = None,
    institution: Annotated[
        list[uuid.UUID] | None, Query(description="Assigned to this institution")
    ] = None,
    follow_up: Annotated[
        bool | None,
        Query(description="true: in a treaty body's follow-up procedure (follow_up_due set)"),
    ] = None,
) -> RecommendationFilters:
    countries = [c.upper() for c in country or []]
    mechanism_codes = list(mechanism or [])
    mechanism_ids: dict[str, int] = {}
    if mechanism_codes:  # one query both checks the codes and finds their ids
        found = await session.execute(
            select(Mechanism.code, Mechanism.id).where(Mechanism.code.in_(mechanism_codes))
        )
        mechanism_ids = dict(found.all())
    problems = [
        FieldProblem(field=f"query.{field}", message=f"unknown {what}: {value}", code="unknown")
        for field, what, unknown in [
            ("country", "country", await _unknown(session, Country.iso3, countries)),
            ("mechanism", "mechanism", [c for c in mechanism_codes if c not in mechanism_ids]),
            ("sdg_target", "SDG target", await _unknown(session, SdgTarget.code, sdg_target or [])),
            ("theme", "theme", await _unknown(session, Theme.id, theme or [])),
            (
                "affected_person",
                "affected-persons group",
                await _unknown(session, AffectedPerson.id, affected_person or []),
            ),
            ("cluster", "cluster", await _unknown(session, Cluster.id, cluster or [])),
            (
                "institution",
                "institution",
                await _unknown(session, Institution.id, institution or []),
            ),
        ]
        for value in unknown
    ]
    if published_from and published_to and published_from > published_to:
        problems.append(
            FieldProblem(
                field="query.published_from",
                message="published_from is after published_to",
                code="range",
            )
        )
    if problems:
        raise UnprocessableEntity("Some filter values are not valid; see errors.", errors=problems)
    return RecommendationFilters(
        uhri_id=uhri_id or (),
        symbol=symbol or (),
        country=countries,
        mechanism_ids=list(mechanism_ids.values()),
        mechanism_type=mechanism_type or (),
        type=type or (),
        upr_position=[str(p) for p in upr_position or []],
        upr_cycle=upr_cycle or (),
        recommending_state=recommending_state or (),
        sdg_goal=sdg_goal or (),
        sdg_target=sdg_target or (),
        theme=theme or (),
        affected_person=affected_person or (),
        status=status or (),
        priority=[str(p) for p in priority or []],
        published_from=published_from,
        published_to=published_to,
        archived=archived,
        search_terms=parse_terms(q) if q else (),
        cluster=cluster or (),
        institution=institution or (),
        follow_up=follow_up,
    )


RecommendationFiltersDep = Annotated[RecommendationFilters, Depends(recommendation_filters)]
