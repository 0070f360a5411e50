"""Progress linked to the SDGs, and by mechanism, institution, theme and country (DESIGN §3).

Figures come from validated progress updates only, so anonymous callers get the same numbers as
everyone else; drafts and submissions never count.
"""

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import select

from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.i18n import Language, LanguageDep, localize
from app.models.assignment import Assignment
from app.models.country import Country
from app.models.institution import Institution
from app.models.mechanism import Mechanism
from app.models.recommendation import (
    Recommendation,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    RecommendationTheme,
)
from app.models.sdg import SdgGoal, SdgTarget
from app.models.taxonomy import Theme
from app.progress import chart, service
from app.progress.schemas import (
    Figures,
    GoalDetail,
    KeyedProgress,
    KeyedRow,
    SdgProgress,
    TargetRow,
    Timeline,
    TimelinePoint,
)
from app.recommendations.filters import RecommendationFilters, RecommendationFiltersDep

router = APIRouter(
    prefix="/progress", tags=["progress"], responses=problem_responses(400, 401, 422)
)
SVG = "image/svg+xml"
GoalNumber = Annotated[int, Path(ge=1, le=17)]


async def _goal_detail(
    session: SessionDep, filters: RecommendationFilters, lang: Language, number: int
) -> GoalDetail:
    goal = (await session.scalars(select(SdgGoal).where(SdgGoal.number == number))).one_or_none()
    if goal is None:
        raise NotFound(f"There is no SDG {number}.")
    own = (
        await service.breakdown(
            session,
            filters,
            RecommendationSdgGoal.goal_number,
            RecommendationSdgGoal,
            [RecommendationSdgGoal.goal_number == number],
        )
    ).get(number, Figures.from_counts({}, 0))
    targets = (
        await session.scalars(
            select(SdgTarget).where(SdgTarget.goal_number == number).order_by(SdgTarget.sort_order)
        )
    ).all()
    by_target = await service.breakdown(
        session, filters, RecommendationSdgTarget.target_code, RecommendationSdgTarget,
        [RecommendationSdgTarget.target_code.in_([t.code for t in targets])],
    )  # fmt: skip
    rows = [
        TargetRow(
            target=t.code,
            title=localize(t.title, lang),
            **by_target.get(t.code, Figures.from_counts({}, 0)).model_dump(),
        )
        for t in targets
    ]
    untargeted = (
        await service.breakdown(
            session,
            filters,
            Recommendation.status.is_not(None).label("any"),
            None,
            [service.untargeted(number)],
        )
    ).get(True, Figures.from_counts({}, 0))
    rows.append(TargetRow(target=None, title=None, **untargeted.model_dump()))
    return GoalDetail(
        goal=number, title=localize(goal.title, lang), short_title=localize(goal.short_title, lang),
        colour=goal.colour, targets=rows, **own.model_dump(),
    )  # fmt: skip


@router.get("/sdgs", summary="Progress goal by goal; all 17 goals are listed")
async def sdg_progress(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep
) -> SdgProgress:
    return await service.sdg_progress(session, filters, lang)


@router.get(
    "/sdgs.svg",
    summary="The 17 goals as bars stacked by status, in the goals' colours (SVG)",
    response_class=Response,
    responses={200: {"content": {SVG: {}}, "description": "An SVG image"}},
)
async def sdg_chart(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep
) -> Response:
    progress = await service.sdg_progress(session, filters, lang)
    return Response(chart.sdg_chart(progress, lang), media_type=SVG)


@router.get(
    "/sdgs/{goal}.svg",
    summary="One goal's targets as bars stacked by status (SVG)",
    response_class=Response,
    responses={
        200: {"content": {SVG: {}}, "description": "An SVG image"},
        **problem_responses(404),
    },
)
async def goal_chart(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep, goal: GoalNumber
) -> Response:
    detail = await _goal_detail(session, filters, lang, goal)
    bars = [chart.Bar(row.target or f"{goal} —", detail.colour, row) for row in detail.targets]
    return Response(
        chart.render(f"{detail.goal}. {detail.short_title}", bars, lang), media_type=SVG
    )


@router.get(
    "/sdgs/{goal}",
    summary="One goal's progress, with a row per target and one for the goal alone",
    responses=problem_responses(404),
)
async def goal_progress(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep, goal: GoalNumber
) -> GoalDetail:
    return await _goal_detail(session, filters, lang, goal)


async def _keyed(
    session: SessionDep, filters: RecommendationFilters, key: object, link: object,
    names: Mapping[Any, str],
) -> KeyedProgress:  # fmt: skip
    found = await service.breakdown(session, filters, key, link)
    everyone = await service.total(session, filters)
    rows = sorted(
        (KeyedRow(key=str(k), name=names.get(k, str(k)), **figures.model_dump())
         for k, figures in found.items()),
        key=lambda row: (-row.recommendations, row.key),
    )  # fmt: skip
    return KeyedProgress(total=everyone.recommendations, by_status=everyone.by_status, items=rows)


@router.get("/mechanisms", summary="Progress by mechanism (key: its code)")
async def mechanism_progress(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep
) -> KeyedProgress:
    mechanisms = (await session.scalars(select(Mechanism))).all()
    codes = {m.id: m.code for m in mechanisms}
    found = await _keyed(session, filters, Recommendation.mechanism_id, None,
                         {m.id: localize(m.name, lang) for m in mechanisms})  # fmt: skip
    for row in found.items:
        row.key = codes[int(row.key)]
    return found


@router.get("/institutions", summary="Progress by assigned institution (key: its id)")
async def institution_progress(
    session: SessionDep, filters: RecommendationFiltersDep
) -> KeyedProgress:
    names = dict((await session.execute(select(Institution.id, Institution.name))).all())
    return await _keyed(session, filters, Assignment.institution_id, Assignment, names)


@router.get("/themes", summary="Progress by theme (key: its id)")
async def theme_progress(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep
) -> KeyedProgress:
    names = {t.id: localize(t.name, lang) for t in (await session.scalars(select(Theme))).all()}
    return await _keyed(session, filters, RecommendationTheme.theme_id, RecommendationTheme, names)


@router.get("/countries", summary="Progress by State (key: ISO3)")
async def country_progress(
    session: SessionDep, filters: RecommendationFiltersDep, lang: LanguageDep
) -> KeyedProgress:
    names = {c.iso3: localize(c.name, lang) for c in (await session.scalars(select(Country))).all()}
    return await _keyed(
        session, filters, RecommendationCountry.country_iso3, RecommendationCountry, names
    )


@router.get("/timeline", summary="by_status at each period end, from validated updates' dates")
async def progress_timeline(
    session: SessionDep,
    filters: RecommendationFiltersDep,
    interval: Annotated[Literal["month", "quarter", "year"], Query()] = "quarter",
) -> Timeline:
    points = await service.timeline(session, filters, interval)
    return Timeline(
        interval=interval,
        points=[
            TimelinePoint(period_end=end.isoformat(), by_status=counts, complete=complete)
            for end, counts, complete in points
        ],
    )
