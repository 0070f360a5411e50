"""/admin/tokens: every account's API tokens, for admins, who may revoke any of them (the API's
revoke_token lets an admin revoke another's token). The page asks for write_users, the
permission an admin alone has and an API token never does."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.api_tokens import service
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.models.base import utcnow
from app.web import choices
from app.web.flash import flash
from app.web.i18n import N_, Message
from app.web.records import keyset_page
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/admin/tokens", N_("API tokens"), permission=Permission.write_users),)
Admin = Annotated[Principal, page_requires(Permission.write_users)]
PAGE_SIZE = 50


@router.get("/admin/tokens")
async def tokens(request: Request, session: SessionDep, admin: Admin) -> Response:
    found, next_cursor, _ = await keyset_page(
        lambda page: service.list_every_token(session, page),
        request.query_params.get("cursor"),
        PAGE_SIZE,
    )
    values = {
        "tokens": found,
        "owners": await choices.names_of_users(session, {t.user_id for t in found}),
        "next_cursor": next_cursor,
        "now": utcnow(),
    }
    return render(request, "api_tokens/admin_list.html", values)


@router.post("/admin/tokens/{token_id:uuid}/revoke")
async def revoke(
    request: Request, session: SessionDep, context: CsrfDep, admin: Admin, token_id: uuid.UUID
) -> Response:
    await service.revoke_token(session, token_id, admin)
    flash(context, Message(N_("The API token is revoked: it no longer works.")))
    return redirect(request, "/admin/tokens")
