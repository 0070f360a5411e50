"""GET/PATCH /users/me/notifications: one's own notification settings (DESIGN §11)."""

from typing import Annotated

from fastapi import APIRouter

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.notifications import service
from app.notifications.schemas import NotificationSettingsRead, NotificationSettingsUpdate

router = APIRouter(
    prefix="/users/me/notifications",
    tags=["users"],
    responses=problem_responses(400, 401, 403, 422),
)
SignedIn = Annotated[Principal, requires(Permission.read_account)]
Owner = Annotated[Principal, requires(Permission.manage_own_notifications)]


@router.get("", summary="Your notification settings")
async def get_notification_settings(
    session: SessionDep, principal: SignedIn
) -> NotificationSettingsRead:
    return await service.read_settings(session, principal.user)


@router.patch(
    "",
    summary="Change your notification settings: mail or not, a daily or weekly digest or each "
    "event at once, and the mails' language",
)
async def change_notification_settings(
    session: SessionDep, principal: Owner, data: NotificationSettingsUpdate
) -> NotificationSettingsRead:
    return await service.change_settings(session, principal.user, data)
