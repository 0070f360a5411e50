"""The /account page, assembled from every feature that has a section on it: the person, their
password and language (app/users/pages.py), their second factor (app/two_factor/pages.py),
their notification settings (app/notifications/pages.py) and their API tokens
(app/api_tokens/pages.py). Each of those pages' forms renders it again, with
its problems next to its fields, when what was sent is refused."""

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.api_tokens import service as api_tokens
from app.auth.permissions import ROLES_NEEDING_2FA, Permission
from app.auth.principal import Principal
from app.models.base import utcnow
from app.models.institution import Institution
from app.models.user import TokenScope
from app.notifications import service as notifications
from app.pagination import PageParams
from app.two_factor import service as two_factor
from app.web.forms import FieldErrors
from app.web.templating import render

# More tokens than anyone keeps: the page lists them all without paging.
_TOKENS_SHOWN = 200


async def render_account(
    request: Request, session: AsyncSession, principal: Principal, *,
    errors: FieldErrors | None = None, token_form: dict[str, str] | None = None,
    status_code: int = 200, headers: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    user = principal.user
    institution = None
    if principal.institution_id is not None:
        institution = await session.scalar(
            select(Institution.name).where(Institution.id == principal.institution_id)
        )
    values: dict[str, Any] = {
        "user": user,
        "institution": institution,
        "errors": errors or {},
        "must_enrol": principal.must_enrol,
        "can_change_password": principal.can(Permission.change_own_password),
        "second_factor": None,
        "tokens": None,
        "token_form": token_form or {},
        "scopes": list(TokenScope),
        "now": utcnow(),
        "notifications": await notifications.read_settings(session, user),
    }
    if principal.can(Permission.manage_own_second_factor):
        values["second_factor"] = await two_factor.state(session, user.id)
        settings = request.app.state.settings
        values["second_factor_required"] = settings.require_2fa and user.role in ROLES_NEEDING_2FA
    if principal.can(Permission.manage_own_api_tokens):
        page = PageParams(limit=_TOKENS_SHOWN, cursor=None, include_total=False)
        values["tokens"], _, _ = await api_tokens.list_tokens(session, principal, None, page)
    return render(request, "users/account.html", values, status_code=status_code, headers=headers)
