"""/account: one's own account, password and language (DESIGN §9). The page itself is
assembled in app/users/account_page.py, with the second factor's and API tokens' sections."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth import service as auth_service
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.users import service
from app.users.account_page import render_account
from app.users.schemas import PasswordChange
from app.web.flash import flash
from app.web.forms import (
    WRONG_PASSWORD,
    FieldErrors,
    form_values,
    new_password_errors,
    refusal,
    unprocessable_errors,
    validation_errors,
)
from app.web.i18n import N_, Message, as_language
from app.web.pages import remember_language
from app.web.sessions import CsrfDep, SignedInDep, keep_only_this_session, page_requires
from app.web.templating import NavItem, redirect

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/account", N_("My account"), signed_in=True),)
PasswordChanger = Annotated[Principal, page_requires(Permission.change_own_password)]


@router.get("/account")
async def account(request: Request, session: SessionDep, principal: SignedInDep) -> Response:
    return await render_account(request, session, principal)


@router.post("/account/password")
async def change_password(
    request: Request, session: SessionDep, context: CsrfDep, principal: PasswordChanger
) -> Response:
    values = form_values(await request.form())
    errors: FieldErrors = {}
    try:
        data = PasswordChange.model_validate(
            {k: values[k] for k in ("current_password", "new_password") if k in values}
            | {"revoke_api_tokens": "revoke_api_tokens" in values}
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
    errors = new_password_errors(errors, values)
    if not errors:
        refused = await auth_service.confirm_password(
            session, principal, data.current_password.get_secret_value(), context.settings
        )
        if refused is not None:
            # Counted as a failed sign-in and committed with the page, as the API does.
            answer = refusal(refused, "current_password", WRONG_PASSWORD)
            return await render_account(
                request, session, principal, errors=answer.errors,
                status_code=answer.status_code, headers=answer.headers,
            )  # fmt: skip
        try:
            service.check_new_password(
                principal.user, data.new_password.get_secret_value(), "body.new_password"
            )
        except UnprocessableEntity as exc:
            errors = unprocessable_errors(exc)
    if errors:
        return await render_account(request, session, principal, errors=errors, status_code=422)
    await service.set_password(
        session, principal.user, data.new_password.get_secret_value(), context.settings,
        principal, revoke_api_tokens=data.revoke_api_tokens,
    )  # fmt: skip
    await keep_only_this_session(session, request, context)
    flash(context, Message(N_("Your password is changed. Your other sessions have ended.")))
    return redirect(request, "/account")


@router.post("/account/language")
async def save_language(
    request: Request, session: SessionDep, context: CsrfDep, principal: SignedInDep
) -> Response:
    chosen = as_language(str((await request.form()).get("language", "")))
    if chosen is None:
        errors = {"language": Message(N_("Choose one of the options."))}
        return await render_account(request, session, principal, errors=errors, status_code=422)
    principal.user.language = chosen
    await session.flush()
    flash(context, Message(N_("Your language is saved.")))
    response = redirect(request, "/account")
    remember_language(request, response, chosen)
    return response
