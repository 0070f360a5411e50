"""The recommendations resource (DESIGN §2)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.audit import service as audit_service
from app.audit.schemas import AuditRead
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.etag import etag_for
from app.i18n import LanguageDep
from app.pagination import Page, PageParamsDep
from app.recommendations import service
from app.recommendations.dependencies import MatchedRecommendationDep, RecommendationDep
from app.recommendations.filters import RecommendationFiltersDep
from app.recommendations.reads import read_models
from app.recommendations.schemas import (
    BulkPriority,
    BulkResult,
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
)

router = APIRouter(
    prefix="/recommendations", tags=["recommendations"], responses=problem_responses(400, 401, 422)
)
Editor = Annotated[Principal, requires(Permission.write_recommendations)]


@router.get("", summary="List and search recommendations")
async def list_recommendations(
    session: SessionDep,
    lang: LanguageDep,
    page: PageParamsDep,
    filters: RecommendationFiltersDep,
    sort: Annotated[service.SortName, Query()] = "-publication_date",
) -> Page[RecommendationRead]:
    rows, next_cursor, total = await service.list_recommendations(
        session, filters, sort, page, lang
    )
    items = await read_models(session, rows, lang)
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post(
    "",
    status_code=201,
    summary="Record a recommendation",
    responses=problem_responses(403, 409, 413),
)
async def create_recommendation(
    session: SessionDep,
    actor: Editor,
    lang: LanguageDep,
    data: RecommendationCreate,
    request: Request,
    response: Response,
) -> RecommendationRead:
    rec = await service.create_recommendation(session, data, actor)
    response.headers["ETag"] = etag_for(rec.version)
    response.headers["Location"] = str(
        request.url_for("get_recommendation", recommendation_id=rec.id)
    )
    return RecommendationRead.build(rec, lang)


@router.post(
    "/bulk-update",
    summary="Set the priority of many recommendations (one transaction, all or nothing)",
    responses=problem_responses(403),
)
async def bulk_update(session: SessionDep, actor: Editor, data: BulkPriority) -> BulkResult:
    updated = await service.bulk_set_priority(session, data.ids, data.priority, actor)
    return BulkResult(updated=updated)


@router.get(
    "/{recommendation_id:uuid}", summary="One recommendation", responses=problem_responses(404)
)
async def get_recommendation(
    session: SessionDep, recommendation_id: uuid.UUID, lang: LanguageDep, response: Response
) -> RecommendationRead:
    row = await service.find_recommendation(session, recommendation_id, lang)
    if row is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    response.headers["ETag"] = etag_for(row.version)
    return (await read_models(session, [row], lang))[0]


@router.patch(
    "/{recommendation_id:uuid}",
    summary="Change a recommendation (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 413, 428),
)
async def update_recommendation(
    session: SessionDep,
    actor: Editor,
    rec: MatchedRecommendationDep,
    lang: LanguageDep,
    data: RecommendationUpdate,
    response: Response,
) -> RecommendationRead:
    updated = await service.update_recommendation(session, rec, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return RecommendationRead.build(updated, lang)


@router.delete(
    "/{recommendation_id:uuid}",
    status_code=204,
    summary="Archive a recommendation (needs If-Match); nothing is ever deleted",
    responses=problem_responses(403, 404, 412, 428),
)
async def archive_recommendation(
    session: SessionDep, actor: Editor, rec: MatchedRecommendationDep
) -> Response:
    await service.archive_recommendation(session, rec, actor)
    return Response(status_code=204)


@router.get(
    "/{recommendation_id:uuid}/history",
    summary="Every change to this recommendation, newest first",
    dependencies=[requires(Permission.read_history)],
    responses=problem_responses(403, 404),
)
async def recommendation_history(
    session: SessionDep, rec: RecommendationDep, page: PageParamsDep
) -> Page[AuditRead]:
    filters = audit_service.AuditFilters(entity_type="recommendation", entity_id=str(rec.id))
    records, next_cursor, total = await audit_service.list_records(session, filters, page)
    return Page(items=[AuditRead.build(r) for r in records], next_cursor=next_cursor, total=total)
