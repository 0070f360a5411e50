"""SDG suggestions for a recommendation (DESIGN §12)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.etag import etag_for
from app.i18n import LanguageDep
from app.recommendations.dependencies import RecommendationDep
from app.recommendations.schemas import RecommendationRead
from app.suggestions import service
from app.suggestions.schemas import Suggestions

router = APIRouter(
    prefix="/recommendations", tags=["suggestions"], responses=problem_responses(400, 401, 422)
)
Editor = Annotated[Principal, requires(Permission.write_recommendations)]
TargetCodePath = Annotated[str, Path(max_length=8, examples=["16.2"])]


@router.get(
    "/{recommendation_id:uuid}/suggestions",
    summary="SDG targets this recommendation likely serves and is not tagged with, best first",
    responses=problem_responses(404),
)
async def suggestions(session: SessionDep, recommendation_id: uuid.UUID) -> Suggestions:
    rec = await service.recommendation_for_suggestions(session, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    return await service.suggest(session, rec)


@router.post(
    "/{recommendation_id:uuid}/suggestions/{code}/accept",
    summary="Tag the recommendation with a suggested target (audited, as PATCH would)",
    responses=problem_responses(403, 404, 409),
)
async def accept_suggestion(
    session: SessionDep,
    actor: Editor,
    rec: RecommendationDep,
    code: TargetCodePath,
    lang: LanguageDep,
    response: Response,
) -> RecommendationRead:
    updated = await service.accept(session, rec, code, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return RecommendationRead.build(updated, lang)


@router.post(
    "/{recommendation_id:uuid}/suggestions/{code}/reject",
    status_code=204,
    summary="Never suggest this target for this recommendation again",
    responses=problem_responses(403, 404),
)
async def reject_suggestion(
    session: SessionDep, actor: Editor, rec: RecommendationDep, code: TargetCodePath
) -> Response:
    await service.reject(session, rec, code, actor)
    return Response(status_code=204)
