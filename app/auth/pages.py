"""Signing in and out of the workspace: /login and POST /logout (DESIGN §9)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.auth import service
from app.auth.dependencies import client_address
from app.db import SessionDep
from app.web.flash import flash
from app.web.forms import REQUIRED, FieldErrors, wait_message
from app.web.i18n import N_, Message, as_language
from app.web.pages import remember_language
from app.web.sessions import CsrfDep, WebDep, end_session, start_session
from app.web.templating import local_path, redirect, render

router = APIRouter(include_in_schema=False)

# The API's words (POST /auth/token), in the person's language: the same whether or not the
# account exists.
WRONG_CREDENTIALS = Message(N_("The email address or the password is not right."))


def _login_page(
    request: Request, next_path: str, email: str = "", errors: FieldErrors | None = None,
    problem: Message | None = None, status_code: int = 200, headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    values: dict[str, Any] = {
        "next": next_path, "email": email, "errors": errors or {}, "problem": problem,
    }  # fmt: skip
    return render(request, "auth/login.html", values, status_code=status_code, headers=headers)


@router.get("/login")
async def login_form(request: Request, context: WebDep, next: str = "/") -> Response:
    if context.principal is not None:
        return redirect(request, local_path(next))
    return _login_page(request, local_path(next))


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
        return _login_page(request, next_path, email, errors, status_code=422)
    # The one call into the sign-in service: the same accounts and limits as the API.
    outcome = await service.authenticate(
        session, email, password, client_address(request), request.app.state.settings
    )
    # Failures are returned, not raised: what the service recorded is committed with the request.
    match outcome:
        case service.SignedIn(user=user):
            pass
        case service.Refused(retry_after=int(retry_after)):
            return _login_page(
                request, next_path, email, problem=wait_message(retry_after), status_code=429,
                headers={"Retry-After": str(retry_after)},
            )  # fmt: skip
        case _:
            return _login_page(
                request, next_path, email, problem=WRONG_CREDENTIALS, status_code=401
            )
    await start_session(session, request, context, user)
    response = redirect(request, next_path)
    preferred = as_language(user.language)
    if preferred is not None:
        remember_language(request, response, preferred)
    return response


@router.post("/logout")
async def logout(request: Request, session: SessionDep, context: CsrfDep) -> Response:
    await end_session(session, context)
    flash(context, Message(N_("You are signed out.")))
    return redirect(request, "/")
