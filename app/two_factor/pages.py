"""Two-factor sign-in on /account (docs/workspace.md): enrol an authenticator app (its QR code and
secret shown once), confirm it with a first code (recovery codes shown once), make new recovery
codes, or turn it off. The same services and checks as /api/v1/users/me/two-factor: starting
needs the password, and the last two need the password and a code, each counted by the login
limits as a failed sign-in when wrong."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.two_factor import service
from app.users.account_page import render_account
from app.web.flash import flash
from app.web.forms import REQUIRED, FieldErrors, Refusal, refusal
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, WebContext, keep_only_this_session, page_requires
from app.web.svg import safe_svg
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Owner = Annotated[Principal, page_requires(Permission.manage_own_second_factor)]
Secret = Annotated[str, Form(max_length=1024)]
_WRONG_PASSWORD = Message(N_("The password is not right."))
_WRONG_CODE = Message(N_("The code is not right."))
_WRONG_FIRST_CODE = Message(
    N_("The code is not right: enter the six digits the app shows now for rectrack.")
)
# Pages that show a secret once: no cache of any kind may keep them.
_NOT_STORED = {"Cache-Control": "no-store"}


def _required(**fields: str) -> FieldErrors:
    return {name: REQUIRED for name, value in fields.items() if not value.strip()}


async def _refused(
    request: Request, session: AsyncSession, owner: Principal, answer: Refusal | FieldErrors
) -> Response:
    if isinstance(answer, Refusal):
        return await render_account(
            request, session, owner, errors=answer.errors, status_code=answer.status_code,
            headers=answer.headers,
        )  # fmt: skip
    return await render_account(request, session, owner, errors=answer, status_code=422)


async def _password_then_code(
    session: AsyncSession, owner: Principal, password: str, code: str, context: WebContext
) -> Refusal | FieldErrors | None:
    """None when both are right (the code is then used up), else what to show; as the API."""
    missing = _required(password=password, code=code)
    if missing:
        return missing
    settings = context.settings
    refused = await auth_service.confirm_password(session, owner, password, settings)
    if refused is not None:
        return refusal(refused, "password", _WRONG_PASSWORD)
    refused = await auth_service.confirm_code(session, owner, code, settings)
    if refused is not None:
        return refusal(refused, "code", _WRONG_CODE)
    return None


def _recovery_codes_page(request: Request, codes: list[str]) -> Response:
    return render(request, "two_factor/recovery_codes.html", {"codes": codes}, headers=_NOT_STORED)


@router.post("/account/two-factor/start")
async def start(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner,
    password: Secret = "",
) -> Response:  # fmt: skip
    if missing := _required(password=password):
        return await _refused(request, session, owner, missing)
    refused = await auth_service.confirm_password(session, owner, password, context.settings)
    if refused is not None:
        return await _refused(
            request, session, owner, refusal(refused, "password", _WRONG_PASSWORD)
        )
    started = await service.start_enrolment(session, owner.user, context.settings, owner)
    values = {
        "qr_code": safe_svg(started.qr_code_svg),
        # In groups of four, as authenticator apps show and take it.
        "secret": " ".join(started.secret[i : i + 4] for i in range(0, len(started.secret), 4)),
        "errors": {},
    }
    return render(request, "two_factor/enrol.html", values, headers=_NOT_STORED)


@router.post("/account/two-factor/confirm")
async def confirm(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner,
    code: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    if missing := _required(code=code):
        return await _refused(request, session, owner, missing)
    try:
        codes = await service.confirm_enrolment(session, owner.user, code, context.settings, owner)
    except UnprocessableEntity:
        return await _refused(request, session, owner, {"code": _WRONG_FIRST_CODE})
    # This session has now seen a code: it becomes a session signed in with a second factor
    # (a new one, with a new cookie), which RECTRACK_REQUIRE_2FA lets past the enrolment. The
    # person's other sessions, signed in without one, end.
    await keep_only_this_session(session, request, context, second_factor=True)
    return _recovery_codes_page(request, codes)


@router.post("/account/two-factor/recovery-codes")
async def new_recovery_codes(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner,
    password: Secret = "", code: Secret = "",
) -> Response:  # fmt: skip
    problem = await _password_then_code(session, owner, password, code, context)
    if problem is not None:
        return await _refused(request, session, owner, problem)
    codes = await service.replace_recovery_codes(session, owner.user, owner)
    return _recovery_codes_page(request, codes)


@router.post("/account/two-factor/disable")
async def disable(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner,
    password: Secret = "", code: Secret = "",
) -> Response:  # fmt: skip
    problem = await _password_then_code(session, owner, password, code, context)
    if problem is not None:
        return await _refused(request, session, owner, problem)
    await service.remove(session, owner.user, owner)
    # As after a password change: a session taken before this change does not outlive it.
    await keep_only_this_session(session, request, context, second_factor=False)
    flash(context, Message(N_("Two-factor sign-in is off.")))
    return redirect(request, "/account")
