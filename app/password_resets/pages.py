"""/reset-password: the page of the one-time link an admin hands to a person (docs/security.md),
who sets a new password there and then signs in with it. The same schema and service as
POST /api/v1/auth/password-reset: the token works once, and using it ends the account's
sessions and forgets its failed sign-ins.

For /admin/users: `password_resets.service.issue` makes the token, and `reset_link` turns it
into the link to show the admin (once: only its hash is kept).
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.db import SessionDep
from app.errors import UnprocessableEntity
from app.password_resets import service
from app.password_resets.schemas import PasswordResetRedeem
from app.web.flash import flash
from app.web.forms import (
    FieldErrors,
    form_values,
    new_password_errors,
    unprocessable_errors,
    validation_errors,
)
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, WebDep
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
# The link carries a secret: no cache may keep the page.
_NOT_STORED = {"Cache-Control": "no-store"}
# The link's token moves into this cookie at once, so that it stays out of access logs and the
# browser's history: only this page reads it, only same-site requests send it, briefly.
RESET_COOKIE = "rectrack_reset"
_PATH = "/reset-password"
_COOKIE_SECONDS = 15 * 60


def reset_link(request: Request, token: str) -> str:
    """The absolute link to this page for a token from password_resets.service.issue."""
    return str(request.url_for("reset_password_form").include_query_params(token=token))


def _forget_token(response: Response) -> Response:
    response.delete_cookie(RESET_COOKIE, path=_PATH, httponly=True, samesite="lax")
    return response


def _page(
    request: Request, usable: bool, errors: FieldErrors | None = None, status_code: int = 200
) -> Response:
    """The form, or (not usable) the news that the link no longer works."""
    values: dict[str, Any] = {"usable": usable, "errors": errors or {}}
    response = render(
        request, "password_resets/reset.html", values, status_code=status_code,
        headers=_NOT_STORED,
    )  # fmt: skip
    return response if usable else _forget_token(response)


@router.get(_PATH, name="reset_password_form")
async def reset_form(
    request: Request, session: SessionDep, context: WebDep,
    token: Annotated[str, Query(max_length=200)] = "",
) -> Response:  # fmt: skip
    if token:
        moved = redirect(request, _PATH)
        moved.headers.update(_NOT_STORED)
        # Lax, not Strict: the link is opened from a mail or a chat, and a redirect that began
        # on another site would not carry a Strict cookie back to this page.
        moved.set_cookie(
            RESET_COOKIE, token, max_age=_COOKIE_SECONDS, path=_PATH, httponly=True,
            samesite="lax", secure=request.url.scheme == "https",
        )  # fmt: skip
        return moved
    kept = request.cookies.get(RESET_COOKIE, "")
    if not kept or not await service.is_usable(session, kept):
        return _page(request, False, status_code=404)
    return _page(request, True)


@router.post(_PATH)
async def reset(request: Request, session: SessionDep, context: CsrfDep) -> Response:
    values = form_values(await request.form())
    token = request.cookies.get(RESET_COOKIE, "")
    errors: FieldErrors = {}
    try:
        data = PasswordResetRedeem.model_validate(
            {"token": token, "new_password": values.get("new_password", ""),
             "revoke_api_tokens": "revoke_api_tokens" in values}
        )  # fmt: skip
    except ValidationError as exc:
        errors = validation_errors(exc)
    errors = new_password_errors(errors, values)
    if not errors:
        try:
            await service.redeem(
                session, token, data.new_password.get_secret_value(), context.settings,
                revoke_api_tokens=data.revoke_api_tokens,
            )  # fmt: skip
        except UnprocessableEntity as exc:
            # Nothing is kept: the token stays usable when only the password was refused.
            await session.rollback()
            errors = unprocessable_errors(exc)
    if "token" in errors:
        return _page(request, False, status_code=404)
    if errors:
        return _page(request, True, errors, status_code=422)
    flash(context, Message(N_("Your new password is set. Sign in with it.")))
    return _forget_token(redirect(request, "/login"))
