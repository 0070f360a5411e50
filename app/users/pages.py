"""/account: one's own account, password and language (DESIGN §9)."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from app.auth import service as auth_service
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.models.institution import Institution
from app.users import service
from app.users.schemas import PasswordChange
from app.web.flash import flash
from app.web.forms import (
    WRONG_PASSWORD,
    FieldErrors,
    form_values,
    refusal,
    unprocessable_errors,
    validation_errors,
)
from app.web.i18n import N_, Message, as_language
from app.web.pages import remember_language
from app.web.sessions import (
    CsrfDep,
    SignedInDep,
    keep_only_this_session,
    page_requires,
)
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/account", N_("My account"), signed_in=True),)
PasswordChanger = Annotated[Principal, page_requires(Permission.change_own_password)]
_MISMATCH = Message(N_("The two new passwords are not the same."))
_WEAK = Message(
    N_("This password is too short or too easy to guess: use at least 12 characters, "
       "for example several unrelated words.")
)  # fmt: skip


async def _account_page(
    request: Request, session: SessionDep, principal: Principal,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    institution = None
    if principal.institution_id is not None:
        institution = (
            await session.scalars(
                select(Institution.name).where(Institution.id == principal.institution_id)
            )
        ).first()
    values: dict[str, Any] = {
        "user": principal.user,
        "institution": institution,
        "errors": errors or {},
        "can_change_password": principal.can(Permission.change_own_password),
    }
    return render(request, "users/account.html", values, status_code=status_code)


@router.get("/account")
async def account(request: Request, session: SessionDep, principal: SignedInDep) -> Response:
    return await _account_page(request, session, principal)


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
        if "new_password" in errors and values.get("new_password"):
            errors["new_password"] = _WEAK
    if not errors and values.get("new_password") != values.get("repeat_password"):
        errors["repeat_password"] = _MISMATCH
    settings = request.app.state.settings
    if not errors:
        refused = await auth_service.confirm_password(
            session, principal, data.current_password.get_secret_value(), settings
        )
        if refused is not None:
            # Counted as a failed sign-in, and committed: not rolled back with an exception.
            errors = {"current_password": refusal(refused, WRONG_PASSWORD)}
    if not errors:
        try:
            service.check_new_password(
                principal.user, data.new_password.get_secret_value(), "body.new_password"
            )
        except UnprocessableEntity as exc:
            errors = unprocessable_errors(exc)
    if errors:
        return await _account_page(request, session, principal, errors, status_code=422)
    await service.set_password(
        session, principal.user, data.new_password.get_secret_value(), settings, principal,
        revoke_api_tokens=data.revoke_api_tokens,
    )  # fmt: skip
    await keep_only_this_session(session, context)
    flash(context, Message(N_("Your password is changed. Your other sessions have ended.")))
    return redirect(request, "/account")


@router.post("/account/language")
async def save_language(
    request: Request, session: SessionDep, context: CsrfDep, principal: SignedInDep
) -> Response:
    chosen = as_language(str((await request.form()).get("language", "")))
    if chosen is None:
        errors = {"language": Message(N_("Choose one of the options."))}
        return await _account_page(request, session, principal, errors, status_code=422)
    principal.user.language = chosen
    await session.flush()
    flash(context, Message(N_("Your language is saved.")))
    response = redirect(request, "/account")
    remember_language(request, response, chosen)
    return response
