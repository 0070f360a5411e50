"""Read-only reference data: SDGs, mechanisms, themes, affected persons, countries."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.i18n import LanguageDep
from app.models.mechanism import MechanismType
from app.models.taxonomy import AffectedPerson, Theme
from app.pagination import Page, PageParamsDep
from app.reference import service
from app.reference.schemas import (
    CountryRead,
    LabelRead,
    MechanismRead,
    SdgGoalDetail,
    SdgGoalRead,
    SdgTargetRead,
)

router = APIRouter(tags=["reference data"], responses=problem_responses(400, 422))

Region = Literal[
    "Africa",
    "Asia-Pacific",
    "Eastern Europe",
    "Latin America and the Caribbean",
    "Western Europe & Others",
]


@router.get("/sdgs", summary="The 17 Sustainable Development Goals")
async def list_sdgs(
    session: SessionDep, lang: LanguageDep, page: PageParamsDep
) -> Page[SdgGoalRead]:
    goals, next_cursor, total = await service.list_goals(session, page)
    counts = await service.targets_per_goal(session)
    items = [SdgGoalRead.build(g, counts.get(g.number, 0), lang) for g in goals]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get("/sdgs/{number}", summary="One goal with its targets", responses=problem_responses(404))
async def get_sdg(
    session: SessionDep, lang: LanguageDep, number: Annotated[int, Path(ge=1, le=17)]
) -> SdgGoalDetail:
    goal = await service.get_goal(session, number)
    if goal is None:
        raise NotFound(f"There is no SDG {number}; goals are numbered 1 to 17.")
    targets = [SdgTargetRead.build(t, lang) for t in goal.targets]
    summary = SdgGoalRead.build(goal, len(targets), lang)
    return SdgGoalDetail(**summary.model_dump(), targets=targets)


@router.get("/sdg-targets", summary="SDG targets, optionally of one goal")
async def list_sdg_targets(
    session: SessionDep,
    lang: LanguageDep,
    page: PageParamsDep,
    goal: Annotated[int | None, Query(ge=1, le=17)] = None,
) -> Page[SdgTargetRead]:
    targets, next_cursor, total = await service.list_targets(session, goal, page)
    items = [SdgTargetRead.build(t, lang) for t in targets]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get("/mechanisms", summary="UPR, treaty bodies and special procedures")
async def list_mechanisms(
    session: SessionDep,
    lang: LanguageDep,
    page: PageParamsDep,
    type: Annotated[MechanismType | None, Query()] = None,
) -> Page[MechanismRead]:
    mechanisms, next_cursor, total = await service.list_mechanisms(session, type, page)
    items = [MechanismRead.build(m, lang) for m in mechanisms]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get("/mechanisms/{code}", summary="One mechanism", responses=problem_responses(404))
async def get_mechanism(session: SessionDep, lang: LanguageDep, code: str) -> MechanismRead:
    mechanism = await service.get_mechanism(session, code)
    if mechanism is None:
        raise NotFound(f"There is no mechanism with the code {code!r}.")
    return MechanismRead.build(mechanism, lang)


@router.get("/themes", summary="UHRI's themes")
async def list_themes(
    session: SessionDep, lang: LanguageDep, page: PageParamsDep
) -> Page[LabelRead]:
    labels, next_cursor, total = await service.list_labels(session, Theme, page)
    return Page(
        items=[LabelRead.build(t, lang) for t in labels], next_cursor=next_cursor, total=total
    )


@router.get("/themes/{theme_id:uuid}", summary="One theme", responses=problem_responses(404))
async def get_theme(session: SessionDep, lang: LanguageDep, theme_id: uuid.UUID) -> LabelRead:
    theme = await service.get_label(session, Theme, theme_id)
    if theme is None:
        raise NotFound(f"There is no theme {theme_id}.")
    return LabelRead.build(theme, lang)


@router.get("/affected-persons", summary="UHRI's affected-persons groups")
async def list_affected_persons(
    session: SessionDep, lang: LanguageDep, page: PageParamsDep
) -> Page[LabelRead]:
    labels, next_cursor, total = await service.list_labels(session, AffectedPerson, page)
    return Page(
        items=[LabelRead.build(a, lang) for a in labels], next_cursor=next_cursor, total=total
    )


@router.get(
    "/affected-persons/{affected_person_id:uuid}",
    summary="One affected-persons group",
    responses=problem_responses(404),
)
async def get_affected_person(
    session: SessionDep, lang: LanguageDep, affected_person_id: uuid.UUID
) -> LabelRead:
    label = await service.get_label(session, AffectedPerson, affected_person_id)
    if label is None:
        raise NotFound(f"There is no affected-persons group {affected_person_id}.")
    return LabelRead.build(label, lang)


@router.get("/countries", summary="States and territories")
async def list_countries(
    session: SessionDep,
    lang: LanguageDep,
    page: PageParamsDep,
    region: Annotated[Region | None, Query(description="UN regional group")] = None,
) -> Page[CountryRead]:
    countries, next_cursor, total = await service.list_countries(session, region, page)
    items = [CountryRead.build(c, lang) for c in countries]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get("/countries/{iso3}", summary="One State or territory", responses=problem_responses(404))
async def get_country(
    session: SessionDep,
    lang: LanguageDep,
    iso3: Annotated[str, Path(min_length=3, max_length=3)],
) -> CountryRead:
    country = await service.get_country(session, iso3)
    if country is None:
        raise NotFound(f"There is no country with the ISO 3166 alpha-3 code {iso3!r}.")
    return CountryRead.build(country, lang)
