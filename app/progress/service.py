"""Progress figures, aggregated by SQL (DESIGN §3); nothing is loaded into Python to be counted.

A recommendation counts under every key it is tagged with (a goal, directly or through a target;
a mechanism; an institution it is assigned to; a theme; a country). Archived ones never count.
"""

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    and_,
    cast,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.service import overdue_condition
from app.clock import today
from app.i18n import Language, localize
from app.models.action import Action, ActionRecommendation
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import (
    Recommendation,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    Status,
    UprPosition,
    goal_mask,
    has_any_goal,
)
from app.models.sdg import SdgGoal, SdgTarget
from app.models.sdg_tally import ANY_GOAL, NO_POSITION, SdgGoalTally
from app.progress.schemas import STATUS_KEYS, Figures, GoalRow, SdgProgress
from app.recommendations.filters import RecommendationFilters

Cells = dict[tuple[str, str], int]
R = Recommendation


def conditions(session: AsyncSession, filters: RecommendationFilters) -> list[ColumnElement[bool]]:
    counted = dataclasses.replace(filters, archived=False)
    return counted.conditions(session.get_bind().dialect.name)


async def cells_by(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    key: Any,
    link: Any = None,
    extra: Sequence[ColumnElement[bool]] | None = None,
) -> dict[Hashable, Cells]:
    """Counts per key, per (status, UPR position)."""
    stmt = select(key, R.status, R.upr_position, func.count()).select_from(R)
    if link is not None:
        stmt = stmt.join(link, link.recommendation_id == R.id)
    stmt = stmt.where(*where, *(extra or [])).group_by(key, R.status, R.upr_position)
    found: dict[Hashable, Cells] = defaultdict(dict)
    for key_value, status, position, count in (await session.execute(stmt)).all():
        found[key_value][(str(status), str(position) if position else "none")] = count
    return found


async def overdue_by(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    key: Any,
    link: Any = None,
    extra: Sequence[ColumnElement[bool]] | None = None,
) -> dict[Hashable, int]:
    """Overdue actions linked to each key's recommendations, each action counted once per key."""
    stmt = (
        select(key, func.count(func.distinct(Action.id)))
        .select_from(Action)
        .join(ActionRecommendation, ActionRecommendation.action_id == Action.id)
        .join(R, R.id == ActionRecommendation.recommendation_id)
    )
    if link is not None:
        stmt = stmt.join(link, link.recommendation_id == R.id)
    stmt = stmt.where(overdue_condition(today()), *where, *(extra or [])).group_by(key)
    return dict((await session.execute(stmt)).all())


async def breakdown(
    session: AsyncSession,
    filters: RecommendationFilters,
    key: Any,
    link: Any = None,
    extra: Sequence[ColumnElement[bool]] | None = None,
) -> dict[Hashable, Figures]:
    where = conditions(session, filters)
    cells = await cells_by(session, where, key, link, extra)
    overdue = await overdue_by(session, where, key, link, extra)
    keys = set(cells) | set(overdue)
    return {k: Figures.from_counts(cells.get(k, {}), overdue.get(k, 0)) for k in keys}


async def total(session: AsyncSession, filters: RecommendationFilters) -> Figures:
    """Each recommendation once."""
    found = await breakdown(session, filters, literal(1).label("all"))
    return found.get(1, Figures.from_counts({}, 0))


async def corpus_total(session: AsyncSession) -> Cells:
    """Every recommendation not archived, once, by (status, UPR position): the overview's counts.

    The tally's goal 0 holds those under at least one goal; those under none are counted from
    the index on (archived, status, upr_position, sdg_goal_mask). Naming every status and
    position lets the index be entered once per pair and read only where the mask is 0, instead
    of reading every entry of the corpus (that pass, at 500,000, was most of `/`'s time).
    """
    tally = SdgGoalTally
    untagged = [R.archived.is_(False), R.status.in_(list(Status)), R.sdg_goal_mask == 0]
    rows: Any = await session.execute(
        union_all(
            select(tally.status, tally.upr_position, tally.recommendations).where(
                tally.goal == ANY_GOAL, tally.recommendations != 0
            ),
            select(R.status, R.upr_position, func.count())
            .where(*untagged, R.upr_position.in_(list(UprPosition)))
            .group_by(R.status, R.upr_position),
            select(R.status, literal(NO_POSITION), func.count())
            .where(*untagged, R.upr_position.is_(None))
            .group_by(R.status),
        )
    )
    cells: Cells = defaultdict(int)
    for status, position, count in rows.all():
        cells[(str(status), str(position))] += count
    return dict(cells)


GOALS = range(1, 18)


async def sdg_breakdown(
    session: AsyncSession, filters: RecommendationFilters
) -> tuple[dict[int, Figures], Figures]:
    """Figures per goal, and for every recommendation under at least one goal.

    The whole corpus is read from the tally the database keeps per goal, status and UPR
    position. Filtered figures read the goal mask kept beside each recommendation's status, so
    one pass over one index (no join with the goal link table, which holds several rows per
    recommendation) counts every goal at once: a count per goal, filtered on the goal's bit.
    Overdue actions depend on today's date, so they are always counted.
    """
    where = [*conditions(session, filters), R.sdg_goal_mask != 0]
    if not filters.narrows():  # the whole corpus (the archive flag progress always sets)
        found = await _tallied_cells(session)
    else:
        found = await _counted_cells(session, where)
    # Per overdue action, whether its recommendations have each goal; then count actions per
    # goal. Once per action, without a DISTINCT count (a sort) per goal.
    per_action = (
        select(*_goal_flags(session.get_bind().dialect.name))
        .select_from(Action)
        .join(ActionRecommendation, ActionRecommendation.action_id == Action.id)
        .join(R, R.id == ActionRecommendation.recommendation_id)
        .where(overdue_condition(today()), *where)
        .group_by(Action.id)
        .subquery()
    )
    overdue = await session.execute(
        select(func.count(), *(func.count().filter(per_action.c[f"g{g}"] != 0) for g in GOALS))
    )
    late = dict(zip([ANY_GOAL, *GOALS], overdue.one(), strict=True))
    figures = {goal: Figures.from_counts(found.get(goal, {}), late[goal]) for goal in GOALS}
    return figures, Figures.from_counts(found.get(ANY_GOAL, {}), late[ANY_GOAL])


async def sdg_progress(
    session: AsyncSession, filters: RecommendationFilters, lang: Language
) -> SdgProgress:
    """All 17 goals' figures with their titles in `lang` (GET /progress/sdgs, the overview)."""
    by_goal, everyone = await sdg_breakdown(session, filters)
    # Plain rows: seventeen ORM objects with their six-language titles cost more than the query.
    goals = await session.execute(
        select(SdgGoal.number, SdgGoal.title, SdgGoal.short_title, SdgGoal.colour).order_by(
            SdgGoal.number
        )
    )
    rows = [
        GoalRow(
            goal=number,
            title=localize(title, lang),
            short_title=localize(short_title, lang),
            colour=colour,
            **by_goal.get(number, Figures.from_counts({}, 0)).model_dump(),
        )
        for number, title, short_title, colour in goals.all()
    ]
    return SdgProgress(total=everyone.recommendations, by_status=everyone.by_status, goals=rows)


def _goal_flags(dialect: str) -> list[Any]:
    """Aggregates over one action's recommendations, g1…g17: nonzero where one has the goal.
    PostgreSQL ORs the masks once (identical aggregates are computed once); SQLite has no
    bit_or, so it takes each bit's maximum."""
    mask = R.sdg_goal_mask
    return [
        (
            func.bit_or(mask).op("&")(goal_mask([g]))
            if dialect == "postgresql"
            else func.max(mask.op("&")(goal_mask([g])))
        ).label(f"g{g}")
        for g in GOALS
    ]


async def _tallied_cells(session: AsyncSession) -> dict[int, Cells]:
    """The whole corpus's cells from the tally the database keeps (app/models/sdg_tally.py)."""
    tally = SdgGoalTally
    rows = await session.execute(
        select(tally.goal, tally.status, tally.upr_position, tally.recommendations).where(
            tally.recommendations != 0
        )
    )
    found: dict[int, Cells] = defaultdict(dict)
    for goal, status, position, count in rows.all():
        found[goal][(str(status), position)] = count
    return found


async def _counted_cells(
    session: AsyncSession, where: list[ColumnElement[bool]]
) -> dict[int, Cells]:
    """Cells counted from the goal masks of the recommendations `where` selects."""
    per_goal = [func.count().filter(has_any_goal([goal])) for goal in GOALS]
    cells = await session.execute(
        select(R.status, R.upr_position, func.count(), *per_goal)
        .where(*where)
        .group_by(R.status, R.upr_position)
    )
    found: dict[int, Cells] = defaultdict(dict)
    for status, position, everyone, *goals in cells.all():
        cell = (str(status), str(position) if position else NO_POSITION)
        found[ANY_GOAL][cell] = everyone
        for goal, count in zip(GOALS, goals, strict=True):
            if count:
                found[goal][cell] = count
    return found


def untargeted(goal: int) -> ColumnElement[bool]:
    """Tagged with `goal` but with none of its targets."""
    goal_targets = (
        select(RecommendationSdgTarget.recommendation_id)
        .join(SdgTarget, SdgTarget.code == RecommendationSdgTarget.target_code)
        .where(SdgTarget.goal_number == goal)
    )
    tagged = select(RecommendationSdgGoal.recommendation_id).where(
        RecommendationSdgGoal.goal_number == goal
    )
    return and_(R.id.in_(tagged), not_(R.id.in_(goal_targets)))


# --- the timeline -------------------------------------------------------------------------


def period_ends(interval: str, first: dt.date, last: dt.date, limit: int = 240) -> list[dt.date]:
    """The last day of each month, quarter or year from `first`'s period to `last`'s."""
    months = {"month": 1, "quarter": 3, "year": 12}[interval]
    month = ((first.month - 1) // months) * months + 1
    year = first.year
    ends: list[dt.date] = []
    while True:
        next_year, next_month = (year + (month - 1 + months) // 12, (month - 1 + months) % 12 + 1)
        end = dt.date(next_year, next_month, 1) - dt.timedelta(days=1)
        ends.append(end)
        if end >= last:
            return ends[-limit:]
        year, month = next_year, next_month


async def timeline(
    session: AsyncSession, filters: RecommendationFilters, interval: str
) -> list[tuple[dt.date, dict[str, int], bool]]:
    """by_status at each period end, from the dates of validated progress updates, and whether
    the period is over.

    A recommendation counts from its publication; until its first validated update it counts
    as not started (planning has no history to go back to). The running period ends today (in
    RECTRACK_TIMEZONE): a date after today would claim figures nobody has seen yet.
    """
    where = conditions(session, filters)
    validated = ProgressUpdate.state == UpdateState.validated
    in_scope = select(R.id).where(*where)
    first = (
        await session.execute(
            select(func.min(ProgressUpdate.validated_at)).where(
                validated, ProgressUpdate.recommendation_id.in_(in_scope)
            )
        )
    ).scalar_one_or_none()
    last = today()
    start = first.date() if isinstance(first, dt.datetime) else last
    ends = period_ends(interval, min(start, last), last)
    ends[-1] = min(ends[-1], last)
    periods = union_all(*(select(literal(end, Date).label("period_end")) for end in ends)).subquery(
        "periods"
    )
    if session.get_bind().dialect.name == "postgresql":
        boundary: ColumnElement[Any] = cast(func.timezone("UTC", ProgressUpdate.validated_at), Date)
    else:  # SQLite keeps timestamps in UTC already
        boundary = func.date(ProgressUpdate.validated_at)
    events = (
        select(
            ProgressUpdate.recommendation_id,
            ProgressUpdate.assessment,
            boundary.label("starts"),
            func.lead(boundary)
            .over(
                partition_by=ProgressUpdate.recommendation_id,
                order_by=(ProgressUpdate.validated_at, ProgressUpdate.id),
            )
            .label("ends"),
        )
        .where(validated, ProgressUpdate.recommendation_id.in_(in_scope))
        .subquery()
    )
    assessed = await session.execute(
        select(periods.c.period_end, events.c.assessment, func.count())
        .select_from(periods)
        .join(
            events,
            and_(
                events.c.starts <= periods.c.period_end,
                or_(events.c.ends.is_(None), events.c.ends > periods.c.period_end),
            ),
        )
        .group_by(periods.c.period_end, events.c.assessment)
    )
    published = await session.execute(
        select(periods.c.period_end, func.count())
        .select_from(periods)
        .join(R, R.publication_date <= periods.c.period_end)
        .where(*where)
        .group_by(periods.c.period_end)
    )
    counts: dict[dt.date, dict[str, int]] = {end: dict.fromkeys(STATUS_KEYS, 0) for end in ends}
    for end, assessment, count in assessed.all():
        counts[_as_date(end)][str(assessment)] += count
    for end, count in published.all():
        row = counts[_as_date(end)]
        row["not_started"] += max(0, count - sum(row.values()))
    # Today is not over: a period ending today is still running.
    return [(end, counts[end], end < last) for end in ends]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
