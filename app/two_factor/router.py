"""Two-factor sign-in (docs/security.md): a TOTP app, enrolled and removed by its owner with
password and code; an admin may remove a person's second factor when its phone and recovery
codes are lost."""

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.dependencies import requires
from app.auth.permissions import ROLES_NEEDING_2FA, Permission
from app.auth.principal import Principal
from app.auth.responses import wrong_secret
from app.db import SessionDep
from app.errors import Conflict, NotFound, problem_responses
from app.two_factor import service
from app.two_factor.schemas import (
    EnrolmentConfirm,
    EnrolmentStart,
    EnrolmentStarted,
    PasswordAndCode,
    RecoveryCodes,
    SecondFactorStatus,
)
from app.users.dependencies import UserDep

router = APIRouter(tags=["two-factor"], responses=problem_responses(400, 401, 403, 422))
Owner = Annotated[Principal, requires(Permission.manage_own_second_factor)]
Admin = Annotated[Principal, requires(Permission.write_users)]
_ME = "/users/me/two-factor"


async def _password_then_code(
    session: AsyncSession, owner: Principal, data: PasswordAndCode, request: Request
) -> JSONResponse | None:
    """None when both are right (the code is then used up); else the answer to give."""
    settings = request.app.state.settings
    if not await service.is_enrolled(session, owner.user.id):
        raise Conflict("You have no second factor.")
    password = data.password.get_secret_value()
    refused = await auth_service.confirm_password(session, owner, password, settings)
    if refused is not None:
        return wrong_secret(refused, "body.password", "the password is not right", "wrong_password")
    code = data.code.get_secret_value()
    refused = await auth_service.confirm_code(session, owner, code, settings)
    if refused is not None:
        return wrong_secret(refused, "body.code", "the code is not right", "wrong_code")
    return None


@router.get(_ME, summary="Whether you sign in with a second factor")
async def second_factor_status(
    session: SessionDep, owner: Owner, request: Request
) -> SecondFactorStatus:
    found = await service.state(session, owner.user.id)
    required = request.app.state.settings.require_2fa and owner.user.role in ROLES_NEEDING_2FA
    return SecondFactorStatus(
        enabled=found.enabled, pending=found.pending,
        recovery_codes_left=found.recovery_codes_left, required=required,
    )  # fmt: skip


@router.post(
    _ME,
    status_code=201,
    response_model=EnrolmentStarted,
    summary="Start enrolling an authenticator app: answers its secret and QR code, once",
    responses=problem_responses(409, 429),
)
async def start_enrolment(
    session: SessionDep, owner: Owner, data: EnrolmentStart, request: Request
) -> Any:
    settings = request.app.state.settings
    password = data.password.get_secret_value()
    refused = await auth_service.confirm_password(session, owner, password, settings)
    if refused is not None:
        return wrong_secret(refused, "body.password", "the password is not right", "wrong_password")
    started = await service.start_enrolment(session, owner.user, settings, owner)
    return EnrolmentStarted(
        secret=started.secret, otpauth_uri=started.otpauth_uri, qr_code_svg=started.qr_code_svg
    )


@router.post(
    f"{_ME}/confirm",
    summary="Confirm the enrolment with the app's first code; answers recovery codes, once, and "
    "ends every session and login token (sign in again with a code)",
    responses=problem_responses(409),
)
async def confirm_enrolment(
    session: SessionDep, owner: Owner, data: EnrolmentConfirm, request: Request
) -> RecoveryCodes:
    codes = await service.confirm_enrolment(
        session, owner.user, data.code, request.app.state.settings, owner
    )
    return RecoveryCodes(recovery_codes=codes)


@router.post(
    f"{_ME}/recovery-codes",
    response_model=RecoveryCodes,
    summary="Replace your recovery codes (password and code needed); the old ones stop working",
    responses=problem_responses(409, 429),
)
async def replace_recovery_codes(
    session: SessionDep, owner: Owner, data: PasswordAndCode, request: Request
) -> Any:
    refused = await _password_then_code(session, owner, data, request)
    if refused is not None:
        return refused
    return RecoveryCodes(
        recovery_codes=await service.replace_recovery_codes(session, owner.user, owner)
    )


@router.post(
    f"{_ME}/disable",
    status_code=204,
    summary="Stop signing in with a second factor (password and code needed); ends every "
    "session and login token",
    responses=problem_responses(409, 429),
)
async def disable_second_factor(
    session: SessionDep, owner: Owner, data: PasswordAndCode, request: Request
) -> Response:
    refused = await _password_then_code(session, owner, data, request)
    if refused is not None:
        return refused
    await service.remove(session, owner.user, owner)
    return Response(status_code=204)


@router.delete(
    "/users/{user_id:uuid}/two-factor",
    status_code=204,
    summary="Remove a person's second factor (lost phone and codes); ends their sessions",
    responses=problem_responses(404),
)
async def remove_second_factor(session: SessionDep, actor: Admin, user: UserDep) -> Response:
    if not await service.remove(session, user, actor):
        raise NotFound(f"User {user.id} has no second factor.")
    return Response(status_code=204)
