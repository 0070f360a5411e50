"""The workspace's own routes: the language switcher."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from app.web.i18n import LANGUAGE_COOKIE, as_language
from app.web.templating import local_path, redirect

router = APIRouter(include_in_schema=False)
ONE_YEAR = 365 * 24 * 3600


def remember_language(request: Request, response: RedirectResponse, lang: str) -> None:
    response.set_cookie(
        LANGUAGE_COOKIE, lang, max_age=ONE_YEAR, path="/", httponly=True, samesite="lax",
        secure=request.url.scheme == "https",
    )  # fmt: skip


@router.get("/language/{lang}")
async def choose_language(request: Request, lang: str, next: str = "/") -> RedirectResponse:
    """Show this browser the workspace in `lang` from now on: only a cookie. A GET may come from
    another site (SameSite=Lax sends the session along), so it writes nothing to the account;
    the account's language is saved by /account's POST, which carries the CSRF token."""
    response = redirect(request, local_path(next))
    chosen = as_language(lang)
    if chosen is not None:
        remember_language(request, response, chosen)
    return response
