"""Progress updates and their review (DESIGN §2 and §8)."""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.auth.dependencies import CurrentPrincipal, requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.models.progress_update import ProgressUpdate
from app.pagination import Page, PageParamsDep
from app.progress_updates import service
from app.progress_updates.dependencies import (
    MatchedProgressUpdateDep,
    ProgressUpdateDep,
    UpdateFiltersDep,
)
from app.progress_updates.schemas import (
    ProgressUpdateCreate,
    ProgressUpdateEdit,
    ProgressUpdateRead,
    Rejection,
    Review,
)
from app.recommendations.dependencies import RecommendationDep

router = APIRouter(tags=["progress updates"], responses=problem_responses(400, 401, 422))
Reporter = Annotated[Principal, requires(Permission.report_progress)]
Reviewer = Annotated[Principal, requires(Permission.validate_progress)]


def _page(
    found: tuple[list[ProgressUpdate], str | None, int | None], viewer: Principal | None
) -> Page[ProgressUpdateRead]:
    updates, next_cursor, total = found
    items = [ProgressUpdateRead.build(u).seen_by(viewer) for u in updates]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post(
    "/recommendations/{recommendation_id:uuid}/progress-updates",
    status_code=201,
    summary="Report progress on a recommendation (a draft until submitted)",
    responses=problem_responses(403, 404),
)
async def create_progress_update(
    session: SessionDep, actor: Reporter, rec: RecommendationDep, data: ProgressUpdateCreate,
    request: Request, response: Response,
) -> ProgressUpdateRead:  # fmt: skip
    update = await service.create_update(session, rec, data, actor)
    response.headers["ETag"] = etag_for(update.version)
    response.headers["Location"] = str(request.url_for("get_progress_update", update_id=update.id))
    return ProgressUpdateRead.build(update)


@router.get(
    "/recommendations/{recommendation_id:uuid}/progress-updates",
    summary="A recommendation's progress updates (the public sees validated ones only)",
    responses=problem_responses(404),
)
async def recommendation_progress_updates(
    session: SessionDep, principal: CurrentPrincipal, rec: RecommendationDep, page: PageParamsDep
) -> Page[ProgressUpdateRead]:
    found = await service.list_updates(
        session, principal, recommendation=rec.id, institution=None, state=None, params=page
    )
    return _page(found, principal)


@router.get("/progress-updates", summary="Progress updates (the public sees validated ones only)")
async def list_progress_updates(
    session: SessionDep, principal: CurrentPrincipal, page: PageParamsDep, filters: UpdateFiltersDep
) -> Page[ProgressUpdateRead]:
    found = await service.list_updates(
        session, principal, recommendation=filters.recommendation,
        institution=filters.institution, state=filters.state, params=page,
    )  # fmt: skip
    return _page(found, principal)


@router.get(
    "/progress-updates/{update_id:uuid}",
    summary="One progress update",
    responses=problem_responses(404),
)
async def get_progress_update(
    update: ProgressUpdateDep, principal: CurrentPrincipal, response: Response
) -> ProgressUpdateRead:
    response.headers["ETag"] = etag_for(update.version)
    return ProgressUpdateRead.build(update).seen_by(principal)


@router.patch(
    "/progress-updates/{update_id:uuid}",
    summary="Edit a draft or rejected update (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def edit_progress_update(
    session: SessionDep, actor: Reporter, update: MatchedProgressUpdateDep,
    data: ProgressUpdateEdit, response: Response,
) -> ProgressUpdateRead:  # fmt: skip
    edited = await service.edit_update(session, update, data, actor)
    response.headers["ETag"] = etag_for(edited.version)
    return ProgressUpdateRead.build(edited)


@router.post(
    "/progress-updates/{update_id:uuid}/submit",
    summary="Submit a draft or rejected update for review",
    responses=problem_responses(403, 404, 409),
)
async def submit_progress_update(
    session: SessionDep, actor: Reporter, update: ProgressUpdateDep, response: Response
) -> ProgressUpdateRead:
    moved = await service.submit(session, update, actor)
    response.headers["ETag"] = etag_for(moved.version)
    return ProgressUpdateRead.build(moved)


@router.post(
    "/progress-updates/{update_id:uuid}/validate",
    summary="Validate a submitted update: it then counts (coordinators)",
    responses=problem_responses(403, 404, 409),
)
async def validate_progress_update(
    session: SessionDep, actor: Reviewer, update: ProgressUpdateDep, response: Response,
    review: Review | None = None,
) -> ProgressUpdateRead:  # fmt: skip
    moved = await service.validate(session, update, actor, review.comment if review else None)
    response.headers["ETag"] = etag_for(moved.version)
    return ProgressUpdateRead.build(moved)


@router.post(
    "/progress-updates/{update_id:uuid}/reject",
    summary="Send a submitted update back with a comment (coordinators)",
    responses=problem_responses(403, 404, 409),
)
async def reject_progress_update(
    session: SessionDep, actor: Reviewer, update: ProgressUpdateDep, rejection: Rejection,
    response: Response,
) -> ProgressUpdateRead:  # fmt: skip
    moved = await service.reject(session, update, actor, rejection.comment)
    response.headers["ETag"] = etag_for(moved.version)
    return ProgressUpdateRead.build(moved)
