"""User accounts (DESIGN §6 and §8)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.auth import service as auth_service
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.auth.responses import wrong_secret
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.models.user import Role
from app.pagination import Page, PageParamsDep
from app.users import service
from app.users.dependencies import MatchedUserDep, UserDep
from app.users.schemas import PasswordChange, UserCreate, UserRead, UserUpdate

router = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(400, 401, 403, 422))
Admin = Annotated[Principal, requires(Permission.write_users)]
SignedIn = Annotated[Principal, requires(Permission.read_account)]


@router.post("", status_code=201, summary="Create an account", responses=problem_responses(409))
async def create_user(
    session: SessionDep, actor: Admin, data: UserCreate, request: Request, response: Response
) -> UserRead:
    user = await service.create_user(session, data, request.app.state.settings, actor)
    response.headers["ETag"] = etag_for(user.version)
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id))
    return UserRead.build(user)


@router.get("", summary="List accounts", dependencies=[requires(Permission.read_users)])
async def list_users(
    session: SessionDep,
    page: PageParamsDep,
    role: Role | None = None,
    institution_id: uuid.UUID | None = None,
    active: bool | None = None,
) -> Page[UserRead]:
    users, next_cursor, total = await service.list_users(
        session, role=role, institution_id=institution_id, active=active, params=page
    )
    return Page(items=[UserRead.build(u) for u in users], next_cursor=next_cursor, total=total)


@router.get("/me", summary="The account you are signed in with")
async def get_me(principal: SignedIn, response: Response) -> UserRead:
    response.headers["ETag"] = etag_for(principal.user.version)
    return UserRead.build(principal.user)


@router.post(
    "/me/password",
    status_code=204,
    summary="Change your password; your login tokens stop working, and your API tokens too if "
    "you ask",
    responses=problem_responses(429),
)
async def change_my_password(
    session: SessionDep,
    principal: Annotated[Principal, requires(Permission.change_own_password)],
    data: PasswordChange,
    request: Request,
) -> Response:
    settings = request.app.state.settings
    current = data.current_password.get_secret_value()
    refused = await auth_service.confirm_password(session, principal, current, settings)
    if refused is not None:
        return wrong_secret(
            refused, "body.current_password", "the current password is not right",
            "wrong_password",
        )  # fmt: skip
    new = data.new_password.get_secret_value()
    service.check_new_password(principal.user, new, "body.new_password")
    await service.set_password(
        session, principal.user, new, settings, principal,
        revoke_api_tokens=data.revoke_api_tokens,
    )  # fmt: skip
    return Response(status_code=204)


@router.get(
    "/{user_id:uuid}",
    summary="One account",
    dependencies=[requires(Permission.read_users)],
    responses=problem_responses(404),
)
async def get_user(user: UserDep, response: Response) -> UserRead:
    response.headers["ETag"] = etag_for(user.version)
    return UserRead.build(user)


@router.patch(
    "/{user_id:uuid}",
    summary="Change role, institution or name, or deactivate (needs If-Match)",
    responses=problem_responses(404, 409, 412, 428),
)
async def update_user(
    session: SessionDep, actor: Admin, user: MatchedUserDep, data: UserUpdate, response: Response
) -> UserRead:
    updated = await service.update_user(session, user, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return UserRead.build(updated)


@router.post(
    "/{user_id:uuid}/unlock",
    status_code=204,
    summary="Forget the account's failed logins, from every address",
    responses=problem_responses(404),
)
async def unlock_user(session: SessionDep, actor: Admin, user: UserDep) -> Response:
    await service.unlock(session, user, actor)
    return Response(status_code=204)
