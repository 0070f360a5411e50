"""One's own API tokens on /account (DESIGN §9): create one (its secret shown this once) and
revoke one, with the API's schema, service and permission (manage_own_api_tokens)."""

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.api_tokens import service
from app.api_tokens.schemas import ApiTokenCreate
from app.auth import service as auth_service
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.users.account_page import render_account
from app.web.flash import flash
from app.web.forms import (
    DATE_FORMAT,
    REQUIRED,
    WRONG_PASSWORD,
    FieldErrors,
    form_values,
    refusal,
    validation_errors,
)
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Owner = Annotated[Principal, page_requires(Permission.manage_own_api_tokens)]
_FIELDS = ("name", "scope", "expires_on")
_END_OF_DAY = dt.time(23, 59, 59)


def _expiry(expires_on: str | None) -> dt.datetime | None:
    """The form asks for a day; the token works until that day ends (UTC)."""
    if expires_on is None:
        return None
    return dt.datetime.combine(dt.date.fromisoformat(expires_on), _END_OF_DAY, tzinfo=dt.UTC)


@router.post("/account/tokens")
async def create_token(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner
) -> Response:
    values = form_values(await request.form())
    typed = {name: str(values.get(name, "")) for name in _FIELDS}
    errors: FieldErrors = {}
    expires_at = None
    try:
        expires_at = _expiry(values.get("expires_on"))
    except ValueError:
        errors["expires_on"] = DATE_FORMAT
    try:
        data = ApiTokenCreate.model_validate(
            {"name": values.get("name", ""), "scope": values.get("scope", "read"),
             "expires_at": expires_at}
        )  # fmt: skip
    except ValidationError as exc:
        errors = validation_errors(exc) | errors
    password = str(values.get("token_password", ""))
    if not password:
        errors["token_password"] = REQUIRED
    elif not errors:
        # A token outlives the session: one stolen session must not be enough to make one.
        refused = await auth_service.confirm_password(session, owner, password, context.settings)
        if refused is not None:
            # Counted as a failed sign-in and committed with the page, as for a password change.
            answer = refusal(refused, "token_password", WRONG_PASSWORD)
            return await render_account(
                request, session, owner, errors=answer.errors, token_form=typed,
                status_code=answer.status_code, headers=answer.headers,
            )  # fmt: skip
    if not errors:
        try:
            token, secret = await service.create_token(session, data, owner)
        except UnprocessableEntity:
            # The one problem the service finds: an expiry in the past.
            errors["expires_on"] = Message(N_("Choose today or a later day."))
    if errors:
        return await render_account(
            request, session, owner, errors=errors, token_form=typed, status_code=422
        )
    values = {"token": token, "secret": secret}
    return render(request, "api_tokens/created.html", values, headers={"Cache-Control": "no-store"})


@router.post("/account/tokens/{token_id}/revoke")
async def revoke_token(
    request: Request, session: SessionDep, context: CsrfDep, owner: Owner, token_id: uuid.UUID
) -> Response:
    await service.revoke_token(session, token_id, owner)
    flash(context, Message(N_("The API token is revoked: it no longer works.")))
    return redirect(request, "/account#tokens")
