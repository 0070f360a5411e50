"""/account's notification settings form: the service the API's PATCH
/users/me/notifications uses (app/notifications/service.py)."""

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.notifications import service
from app.notifications.schemas import NotificationSettingsUpdate
from app.users.account_page import render_account
from app.web.flash import flash
from app.web.forms import form_values, validation_errors
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import redirect

router = APIRouter(include_in_schema=False)
Owner = Annotated[Principal, page_requires(Permission.manage_own_notifications)]


@router.post("/account/notifications")
async def save_notification_settings(
    request: Request, session: SessionDep, context: CsrfDep, principal: Owner
) -> Response:
    values = form_values(await request.form())
    try:
        data = NotificationSettingsUpdate.model_validate(
            {
                # An unticked box is not sent at all.
                "email": values.get("email") == "on",
                "digest": values.get("digest"),
                "language": values.get("notification_language"),
            }
        )
    except ValidationError as exc:
        errors = validation_errors(exc)
        # The workspace's language has its own field on the page.
        if "language" in errors:
            errors["notification_language"] = errors.pop("language")
        return await render_account(request, session, principal, errors=errors, status_code=422)
    await service.change_settings(session, principal.user, data)
    flash(context, Message(N_("Your notification settings are saved.")))
    return redirect(request, "/account")
