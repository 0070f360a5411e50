"""API tokens (DESIGN §6 and §8): for scripts and integrations, e.g. a UN country team's."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Response

from app.api_tokens import service
from app.api_tokens.schemas import ApiTokenCreate, ApiTokenCreated, ApiTokenRead
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/api-tokens", tags=["api tokens"], responses=problem_responses(400, 401, 403, 422)
)
Owner = Annotated[Principal, requires(Permission.manage_own_api_tokens)]


@router.post("", status_code=201, summary="Create a token; its secret is shown this once")
async def create_api_token(
    session: SessionDep, owner: Owner, data: ApiTokenCreate
) -> ApiTokenCreated:
    token, secret = await service.create_token(session, data, owner)
    return ApiTokenCreated(**ApiTokenRead.build(token).model_dump(), token=secret)


@router.get("", summary="Your API tokens (an admin may name another user)")
async def list_api_tokens(
    session: SessionDep, owner: Owner, page: PageParamsDep, user_id: uuid.UUID | None = None
) -> Page[ApiTokenRead]:
    tokens, next_cursor, total = await service.list_tokens(session, owner, user_id, page)
    return Page(items=[ApiTokenRead.build(t) for t in tokens], next_cursor=next_cursor, total=total)


@router.delete(
    "/{token_id:uuid}", status_code=204, summary="Revoke a token", responses=problem_responses(404)
)
async def revoke_api_token(session: SessionDep, owner: Owner, token_id: uuid.UUID) -> Response:
    await service.revoke_token(session, token_id, owner)
    return Response(status_code=204)
