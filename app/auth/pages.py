"""Signing in and out of the workspace: /login, its second step /login/code, and POST /logout
(DESIGN §9, docs/workspace.md).

The password is checked by the one sign-in service the API uses (app.auth.service.authenticate);
an account with a second factor then gets a pending sign-in (app/web/pending_sign_in.py), which
holds no password, and /login/code asks for the code. Both steps answer a failure with the
API's words and go through the same login limits.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service
from app.auth.dependencies import client_address
from app.db import SessionDep
from app.models.web_session import WebPendingSignIn
from app.web import pending_sign_in
from app.web.flash import flash
from app.web.forms import REQUIRED, FieldErrors, wait_message
from app.web.i18n import N_, Message, as_language
from app.web.pages import remember_language
from app.web.sessions import CsrfDep, WebContext, WebDep, end_session, start_session
from app.web.templating import local_path, redirect, render

router = APIRouter(include_in_schema=False)

# The API's words (POST /auth/token), in the person's language: the same whether the account,
# the password or the code was wrong.
WRONG_CREDENTIALS = Message(N_("The email address, the password or the code is not right."))
_EXPIRED = Message(N_("Signing in took too long, or was finished elsewhere. Sign in again."))
_CODE_PAGE, _LOGIN_PAGE = "auth/code.html", "auth/login.html"


def _page(
    request: Request, template: str, next_path: str, email: str = "",
    errors: FieldErrors | None = None, problem: Message | None = None, status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    values: dict[str, Any] = {
        "next": next_path, "email": email, "errors": errors or {}, "problem": problem,
    }  # fmt: skip
    return render(request, template, values, status_code=status_code, headers=headers)


def _with_next(path: str, next_path: str) -> str:
    return path if next_path == "/" else f"{path}?{urlencode({'next': next_path})}"


async def _answer(
    request: Request, session: AsyncSession, context: WebContext, outcome: service.SignInOutcome,
    next_path: str, email: str, pending: WebPendingSignIn | None = None,
) -> Response:  # fmt: skip
    """The one place where a sign-in's outcome, from either step, becomes a response.
    Failures are returned, not raised: what the service recorded is committed."""
    template = _LOGIN_PAGE if pending is None else _CODE_PAGE
    match outcome:
        case service.SignedIn(user=user, second_factor=second_factor):
            if pending is not None:
                await pending_sign_in.finish(session, context, pending)
            await start_session(session, request, context, user, second_factor=second_factor)
            # Under RECTRACK_REQUIRE_2FA without a second factor: the enrolment, nothing else.
            enrol = service.must_enrol(user, second_factor, context.settings)
            response = redirect(request, "/account" if enrol else next_path)
            preferred = as_language(user.language)
            if preferred is not None:
                remember_language(request, response, preferred)
            return response
        case service.SecondFactorRequired(user=user):
            await pending_sign_in.begin(session, context, user)
            return redirect(request, _with_next("/login/code", next_path))
        case service.Refused(retry_after=int(wait)):
            return _page(
                request, template, next_path, email, problem=wait_message(wait),
                status_code=429, headers={"Retry-After": str(wait)},
            )  # fmt: skip
        case _:
            return _page(
                request, template, next_path, email, problem=WRONG_CREDENTIALS, status_code=401
            )


@router.get("/login")
async def login_form(request: Request, context: WebDep, next: str = "/") -> Response:
    if context.principal is not None:
        return redirect(request, local_path(next))
    return _page(request, _LOGIN_PAGE, local_path(next))


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    context: CsrfDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_path = local_path(next)
    errors: FieldErrors = {}
    if not email.strip():
        errors["email"] = REQUIRED
    if not password:
        errors["password"] = REQUIRED
    if "\x00" in email + password:
        errors["email"] = WRONG_CREDENTIALS
    if errors:
        return _page(request, _LOGIN_PAGE, next_path, email, errors, status_code=422)
    # The one call into the sign-in service: the same accounts and limits as the API.
    outcome = await service.authenticate(
        session, email, password, client_address(request), context.settings
    )
    return await _answer(request, session, context, outcome, next_path, email)


@router.get("/login/code")
async def code_form(
    request: Request, session: SessionDep, context: WebDep, next: str = "/"
) -> Response:
    next_path = local_path(next)
    if context.principal is not None:
        return redirect(request, next_path)
    if await pending_sign_in.find(session, request, context) is None:
        flash(context, _EXPIRED)
        return redirect(request, _with_next("/login", next_path))
    return _page(request, _CODE_PAGE, next_path)


@router.post("/login/code")
async def login_code(
    request: Request,
    session: SessionDep,
    context: CsrfDep,
    code: Annotated[str, Form(max_length=64)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    next_path = local_path(next)
    found = await pending_sign_in.find(session, request, context)
    if found is None:
        flash(context, _EXPIRED)
        return redirect(request, _with_next("/login", next_path))
    pending, user = found
    if not code.strip() or "\x00" in code:
        errors = {"code": REQUIRED if not code.strip() else WRONG_CREDENTIALS}
        return _page(request, _CODE_PAGE, next_path, errors=errors, status_code=422)
    outcome = await service.authenticate_code(
        session, user, code, client_address(request), context.settings
    )
    return await _answer(request, session, context, outcome, next_path, "", pending)


@router.post("/logout")
async def logout(request: Request, session: SessionDep, context: CsrfDep) -> Response:
    await end_session(session, context)
    flash(context, Message(N_("You are signed out.")))
    return redirect(request, "/")
