"""The workspace's own routes: the language switcher."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.db import SessionDep
from app.web.i18n import LANGUAGE_COOKIE, as_language
from app.web.sessions import WebDep
from app.web.templating import local_path, redirect

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


def remember_language(request: Request, response: RedirectResponse, lang: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, path="/", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )  # fmt: skip


@router.get("/language/{lang}")
async def choose_language(
    request: Request, lang: str, context: WebDep, session: SessionDep, next: str = "/"
) -> RedirectResponse:
    """Show the workspace in `lang` from now on (a cookie; and the account's preference)."""
    response = redirect(request, local_path(next))
    chosen = as_language(lang)
    if chosen is not None:
        remember_language(request, response, chosen)
        if context.principal is not None and context.principal.user.language != chosen:
            context.principal.user.language = chosen
            await session.flush()
    return response
