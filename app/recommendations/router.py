"""The recommendations resource (DESIGN §2)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.i18n import LanguageDep
from app.pagination import Page, PageParamsDep
from app.permissions import WriteAccess
from app.recommendations import service
from app.recommendations.dependencies import MatchedRecommendationDep, RecommendationDep
from app.recommendations.filters import RecommendationFiltersDep
from app.recommendations.schemas import (
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
)

router = APIRouter(
    prefix="/recommendations", tags=["recommendations"], responses=problem_responses(400, 422)
)


@router.get("", summary="List and search recommendations")
async def list_recommendations(
    session: SessionDep,
    lang: LanguageDep,
    page: PageParamsDep,
    filters: RecommendationFiltersDep,
    sort: Annotated[service.SortName, Query()] = "-publication_date",
) -> Page[RecommendationRead]:
    recs, next_cursor, total = await service.list_recommendations(session, filters, sort, page)
    items = [RecommendationRead.build(r, lang) for r in recs]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post(
    "",
    status_code=201,
    summary="Record a recommendation",
    dependencies=[WriteAccess],
    responses=problem_responses(409, 413),
)
async def create_recommendation(
    session: SessionDep,
    lang: LanguageDep,
    data: RecommendationCreate,
    request: Request,
    response: Response,
) -> RecommendationRead:
    rec = await service.create_recommendation(session, data)
    response.headers["ETag"] = etag_for(rec.version)
    response.headers["Location"] = str(
        request.url_for("get_recommendation", recommendation_id=rec.id)
    )
    return RecommendationRead.build(rec, lang)


@router.get("/{recommendation_id}", summary="One recommendation", responses=problem_responses(404))
async def get_recommendation(
    rec: RecommendationDep, lang: LanguageDep, response: Response
) -> RecommendationRead:
    response.headers["ETag"] = etag_for(rec.version)
    return RecommendationRead.build(rec, lang)


@router.patch(
    "/{recommendation_id}",
    summary="Change a recommendation (needs If-Match)",
    dependencies=[WriteAccess],
    responses=problem_responses(404, 409, 412, 413, 428),
)
async def update_recommendation(
    session: SessionDep,
    rec: MatchedRecommendationDep,
    lang: LanguageDep,
    data: RecommendationUpdate,
    response: Response,
) -> RecommendationRead:
    updated = await service.update_recommendation(session, rec, data)
    response.headers["ETag"] = etag_for(updated.version)
    return RecommendationRead.build(updated, lang)


@router.delete(
    "/{recommendation_id}",
    status_code=204,
    summary="Archive a recommendation (needs If-Match); nothing is ever deleted",
    dependencies=[WriteAccess],
    responses=problem_responses(404, 412, 428),
)
async def archive_recommendation(session: SessionDep, rec: MatchedRecommendationDep) -> Response:
    await service.archive_recommendation(session, rec)
    return Response(status_code=204)
