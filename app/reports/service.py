"""What a report is about, read from the database in a few set-based queries (DESIGN §10).

Only validated progress updates are read; a recommendation's status is the derived one (§4).
The summary's counts are SQL aggregates, the same ones the progress endpoints answer (§3).
"""

import datetime as dt
import re
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import FieldProblem, UnprocessableEntity
from app.models.action import Action, ActionRecommendation
from app.models.assignment import Assignment, AssignmentRole
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.country import Country
from app.models.indicator import Indicator, IndicatorRecommendation, Measurement
from app.models.institution import Institution
from app.models.mechanism import Mechanism, MechanismType
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import (
    Recommendation,
    RecommendationSdgGoal,
    RecommendationTheme,
    RecommendingState,
)
from app.models.sdg import SdgGoal
from app.models.taxonomy import Theme
from app.progress.schemas import Figures
from app.progress.service import total
from app.recommendations.filters import RecommendationFilters
from app.reports.schemas import ReportRequest

R = Recommendation


@dataclass(frozen=True)
class ActionLine:
    title: str
    institution: str | None
    status: str
    start_date: dt.date | None
    due_date: dt.date | None


@dataclass(frozen=True)
class IndicatorLine:
    name: str
    unit: str | None
    baseline: float | None
    baseline_date: dt.date | None
    latest: float | None
    latest_date: dt.date | None
    target: float | None
    target_date: dt.date | None


@dataclass(frozen=True)
class ValidatedUpdate:
    assessment: str
    narrative: str | None
    validated_on: dt.date


@dataclass
class Entry:
    """One recommendation with what the report says about it."""

    id: uuid.UUID
    symbol: str
    paragraph: str | None
    mechanism_code: str
    mechanism_type: MechanismType
    text: dict[str, str]
    upr_position: str | None
    status: str
    follow_up_due: dt.date | None = None
    recommending_states: list[str] = field(default_factory=list)
    lead: str | None = None
    supporting: list[str] = field(default_factory=list)
    actions: list[ActionLine] = field(default_factory=list)
    indicators: list[IndicatorLine] = field(default_factory=list)
    update: ValidatedUpdate | None = None
    # Keys of the groups it belongs to, the one it is shown under first.
    groups: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Group:
    key: str
    # The group's name as stored (clusters, institutions) or in each language (themes, SDGs).
    names: dict[str, str]
    number: int | None = None  # an SDG's


@dataclass
class ReportData:
    request: ReportRequest
    country_names: dict[str, str]
    mechanism_names: dict[str, str] | None
    entries: list[Entry]
    groups: dict[str, Group]
    figures: Figures
    generated_on: dt.date


def follow_up_column() -> Any:
    """`Recommendation.follow_up_due` once the treaty bodies' follow-up exists (issue 18 item 4);
    None before. The one place that decides which paragraphs a follow-up report leads with."""
    return getattr(R, "follow_up_due", None)


def natural_key(text: str | None) -> tuple[Any, ...]:
    """ "132.9" before "132.10", "12(a)" before "12(b)"."""
    parts = re.split(r"(\d+)", text or "")
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


async def _scope(
    session: AsyncSession, request: ReportRequest
) -> tuple[RecommendationFilters, dict[str, str], dict[str, str] | None]:
    """The filters of the report, or 422 naming an unknown country or mechanism."""
    country = await session.get(Country, request.country)
    problems = []
    if country is None:
        problems.append(("country", f"unknown country: {request.country}"))
    mechanism = None
    code = request.mechanism or ("UPR" if request.kind == "upr_midterm" else None)
    if code is not None:
        mechanism = (
            await session.scalars(select(Mechanism).where(Mechanism.code == code))
        ).one_or_none()
        if mechanism is None:
            problems.append(("mechanism", f"unknown mechanism: {code}"))
        elif request.kind == "upr_midterm" and mechanism.type is not MechanismType.upr:
            problems.append(("mechanism", f"{code} is not the UPR: a upr_midterm report is"))
        elif request.kind == "treaty_followup" and mechanism.type is MechanismType.upr:
            problems.append(("mechanism", "a treaty_followup report is not about the UPR"))
    if problems or country is None:
        raise UnprocessableEntity(
            "The report names something that does not exist or does not fit.",
            errors=[
                FieldProblem(field=f"body.{name}", message=message, code="unknown")
                for name, message in problems
            ],
        )
    filters = RecommendationFilters(
        country=[request.country],
        mechanism_ids=[mechanism.id] if mechanism else [],
        mechanism_type=[MechanismType.upr] if request.kind == "upr_midterm" else [],
        upr_cycle=[request.cycle] if request.cycle else [],
        symbol=[request.symbol] if request.symbol else [],
    )
    return filters, country.name, mechanism.name if mechanism else None


async def load_report(
    session: AsyncSession, request: ReportRequest, generated_on: dt.date
) -> ReportData:
    filters, country_names, mechanism_names = await _scope(session, request)
    where = filters.conditions(session.get_bind().dialect.name)
    in_scope = select(R.id).where(*where)
    follow_up = follow_up_column()
    columns: list[Any] = [
        R.id, R.symbol, R.paragraph, Mechanism.code, Mechanism.type, R.text, R.upr_position,
        R.status,
    ]  # fmt: skip
    if follow_up is not None:
        columns.append(follow_up)
    rows = (await session.execute(select(*columns).join(Mechanism).where(*where))).all()
    entries = {
        row[0]: Entry(
            id=row[0],
            symbol=row[1],
            paragraph=row[2],
            mechanism_code=row[3],
            mechanism_type=row[4],
            text=row[5] or {},
            upr_position=_value(row[6]),
            status=str(_value(row[7])),
            follow_up_due=row[8] if follow_up is not None else None,
        )
        for row in rows
    }
    if entries:
        await _fill(session, entries, in_scope)
    groups = await _groups(session, request, entries, in_scope) if entries else {}
    ordered = sorted(entries.values(), key=_order(request))
    return ReportData(
        request=request,
        country_names=country_names,
        mechanism_names=mechanism_names,
        entries=ordered,
        groups=groups,
        figures=await total(session, filters),
        generated_on=generated_on,
    )


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


_POSITION_ORDER = {"supported": 0, "noted": 1, None: 2}


def _order(request: ReportRequest) -> Any:
    def key(entry: Entry) -> tuple[Any, ...]:
        where = (entry.mechanism_code, natural_key(entry.symbol), natural_key(entry.paragraph))
        if request.kind == "upr_midterm":
            return (_POSITION_ORDER.get(entry.upr_position, 2), *where)
        return where

    return key


async def _fill(
    session: AsyncSession, entries: dict[uuid.UUID, Entry], in_scope: Select[Any]
) -> None:
    """States, institutions, actions, indicators and the latest validated update of each."""
    states = select(RecommendingState.recommendation_id, RecommendingState.name).where(
        RecommendingState.recommendation_id.in_(in_scope)
    )
    for rec_id, name in (await session.execute(states.order_by(RecommendingState.name))).all():
        entries[rec_id].recommending_states.append(name)

    assigned = (
        select(Assignment.recommendation_id, Assignment.role, Institution.name)
        .join(Institution, Institution.id == Assignment.institution_id)
        .where(Assignment.recommendation_id.in_(in_scope))
        .order_by(Institution.name)
    )
    for rec_id, role, name in (await session.execute(assigned)).all():
        if role == AssignmentRole.lead:
            entries[rec_id].lead = name
        else:
            entries[rec_id].supporting.append(name)

    actions = (
        select(
            ActionRecommendation.recommendation_id,
            Action.title,
            Institution.name,
            Action.status,
            Action.start_date,
            Action.due_date,
        )
        .join(Action, Action.id == ActionRecommendation.action_id)
        .outerjoin(Institution, Institution.id == Action.institution_id)
        .where(ActionRecommendation.recommendation_id.in_(in_scope))
        .order_by(Action.due_date.is_(None), Action.due_date, Action.title)
    )
    for rec_id, title, institution, status, start, due in (await session.execute(actions)).all():
        entries[rec_id].actions.append(
            ActionLine(title, institution, str(_value(status)), start, due)
        )

    linked = select(IndicatorRecommendation.indicator_id).where(
        IndicatorRecommendation.recommendation_id.in_(in_scope)
    )
    ranked = (
        select(
            Measurement.indicator_id,
            Measurement.value,
            Measurement.date,
            func.row_number()
            .over(
                partition_by=Measurement.indicator_id,
                order_by=(Measurement.date.desc(), Measurement.created_at.desc()),
            )
            .label("rank"),
        )
        .where(Measurement.indicator_id.in_(linked))
        .subquery()
    )
    latest = select(ranked.c.indicator_id, ranked.c.value, ranked.c.date).where(ranked.c.rank == 1)
    latest_values = {i: (v, d) for i, v, d in (await session.execute(latest)).all()}
    indicators = (
        select(IndicatorRecommendation.recommendation_id, Indicator)
        .join(Indicator, Indicator.id == IndicatorRecommendation.indicator_id)
        .where(IndicatorRecommendation.recommendation_id.in_(in_scope))
        .order_by(Indicator.name)
    )
    for rec_id, ind in (await session.execute(indicators)).all():
        value, date = latest_values.get(ind.id, (None, None))
        entries[rec_id].indicators.append(
            IndicatorLine(
                ind.name,
                ind.unit,
                ind.baseline,
                ind.baseline_date,
                value,
                date,
                ind.target,
                ind.target_date,
            )
        )

    validated = (
        select(
            ProgressUpdate.recommendation_id,
            ProgressUpdate.assessment,
            ProgressUpdate.narrative,
            ProgressUpdate.validated_at,
            func.row_number()
            .over(
                partition_by=ProgressUpdate.recommendation_id,
                order_by=(ProgressUpdate.validated_at.desc(), ProgressUpdate.id.desc()),
            )
            .label("rank"),
        )
        .where(
            ProgressUpdate.state == UpdateState.validated,
            ProgressUpdate.recommendation_id.in_(in_scope),
        )
        .subquery()
    )
    latest_updates = select(
        validated.c.recommendation_id, validated.c.assessment, validated.c.narrative,
        validated.c.validated_at,
    ).where(validated.c.rank == 1)  # fmt: skip
    for rec_id, assessment, narrative, at in (await session.execute(latest_updates)).all():
        entries[rec_id].update = ValidatedUpdate(str(_value(assessment)), narrative, at.date())


async def _groups(
    session: AsyncSession,
    request: ReportRequest,
    entries: dict[uuid.UUID, Entry],
    in_scope: Select[Any],
) -> dict[str, Group]:
    """The groups of `group_by`, and each entry's group keys (its first is where it is shown)."""
    groups: dict[str, Group] = {}
    memberships: dict[uuid.UUID, list[str]] = defaultdict(list)
    # Each row: recommendation, group key, the group's names, an SDG's number.
    rows: Sequence[Row[Any, Any, Any, Any]]
    if request.group_by == "cluster":
        rows = (
            await session.execute(
                select(ClusterRecommendation.recommendation_id, Cluster.id, Cluster.name, null())
                .join(Cluster, Cluster.id == ClusterRecommendation.cluster_id)
                .where(
                    ClusterRecommendation.recommendation_id.in_(in_scope),
                    Cluster.archived.is_(False),
                )
                .order_by(Cluster.name, Cluster.id)
            )
        ).all()
    elif request.group_by == "theme":
        rows = (
            await session.execute(
                select(RecommendationTheme.recommendation_id, Theme.id, Theme.name, null())
                .join(Theme, Theme.id == RecommendationTheme.theme_id)
                .where(RecommendationTheme.recommendation_id.in_(in_scope))
                .order_by(Theme.label)
            )
        ).all()
    elif request.group_by == "sdg":
        goal = RecommendationSdgGoal
        rows = (
            await session.execute(
                select(goal.recommendation_id, SdgGoal.number, SdgGoal.short_title, SdgGoal.number)
                .join(SdgGoal, SdgGoal.number == goal.goal_number)
                .where(goal.recommendation_id.in_(in_scope))
                .order_by(SdgGoal.number)
            )
        ).all()
    else:  # institution: the lead's first, then those it supports
        rows = (
            await session.execute(
                select(Assignment.recommendation_id, Institution.id, Institution.name, null())
                .join(Institution, Institution.id == Assignment.institution_id)
                .where(Assignment.recommendation_id.in_(in_scope))
                .order_by(Assignment.role != AssignmentRole.lead, Institution.name)
            )
        ).all()
    for rec_id, key, names, number in rows:
        group_key = f"goal-{key}" if number is not None else str(key)
        # Clusters and institutions have one name, kept as the English one (the fallback).
        groups[group_key] = Group(
            group_key, names if isinstance(names, dict) else {"en": names}, number
        )
        memberships[rec_id].append(group_key)
    for rec_id, keys in memberships.items():
        entries[rec_id].groups = keys
    return groups
