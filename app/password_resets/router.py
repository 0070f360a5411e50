"""Admin-initiated password resets (docs/security.md): the admin gets a one-time token for a
person, who sets a new password with it. (The workspace's page for it comes later.)"""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.password_resets import service
from app.password_resets.schemas import PasswordResetIssued, PasswordResetRedeem
from app.users.dependencies import UserDep

router = APIRouter(tags=["users"], responses=problem_responses(400, 401, 422))
Admin = Annotated[Principal, requires(Permission.write_users)]


@router.post(
    "/users/{user_id:uuid}/password-reset",
    status_code=201,
    summary="Make a one-time token with which the person sets a new password (shown once)",
    responses=problem_responses(403, 404),
)
async def issue_password_reset(
    session: SessionDep, actor: Admin, user: UserDep, request: Request
) -> PasswordResetIssued:
    reset, token = await service.issue(session, user, request.app.state.settings, actor)
    return PasswordResetIssued(user_id=user.id, token=token, expires_at=reset.expires_at)


@router.post(
    "/auth/password-reset",
    status_code=204,
    summary="Set a new password with a reset token from an admin; ends the account's sessions",
)
async def redeem_password_reset(
    session: SessionDep, data: PasswordResetRedeem, request: Request
) -> Response:
    await service.redeem(
        session, data.token.get_secret_value(), data.new_password.get_secret_value(),
        request.app.state.settings, revoke_api_tokens=data.revoke_api_tokens,
    )  # fmt: skip
    return Response(status_code=204)
