"""Errors on pages are pages: the workspace's look, the person's language, the right status.

The API's handlers (app/errors.py) stay as they are for /api/v1 and the other machine paths;
each is wrapped so that a page route gets HTML instead of problem+json.
"""

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app.errors import AppError
from app.web.i18n import N_, Message
from app.web.sessions import EnrolmentRequired, SignInRequired
from app.web.templating import redirect, render

# Paths that machines call: they keep problem+json.
MACHINE_PATHS = ("/api/", "/healthz", "/readyz", "/openapi.json", "/docs", "/redoc", "/static/")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]

_TITLES = {
    400: N_("The request was not understood"),
    401: N_("Please sign in"),
    403: N_("You may not do this"),
    404: N_("Page not found"),
    405: N_("This page cannot be used this way"),
    409: N_("This conflicts with the current state"),
    412: N_("Someone else changed this meanwhile"),
    413: N_("What you sent is too large"),
    422: N_("Some values are not valid"),
    429: N_("Too many attempts"),
    503: N_("The service is busy"),
}
_EXPLANATIONS = {
    400: N_("Check the address or the form, then try again."),
    401: N_("Sign in, then try again."),
    403: N_(
        "Your role does not allow this. If you think it should, ask your NMRF coordinator "
        "or administrator."
    ),
    404: N_("There is nothing at this address. It may have been mistyped or removed."),
    405: N_("Go back to the page you came from and use its buttons or links."),
    409: N_("Reload the page to see the current state, then try again."),
    412: N_("Reload the page to see the current values, then make your change again."),
    413: N_("Send a smaller file or shorter text."),
    422: N_("Go back, correct the values and try again."),
    429: N_("Wait a few minutes before trying again."),
    503: N_("Nothing was changed. Wait a moment and try again."),
}
_SERVER_ERROR = (
    N_("Something went wrong on our side"),
    N_("Nothing was changed. Try again; if it happens again, tell your administrator."),
)


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(MACHINE_PATHS)


def error_page(request: Request, status: int, message: Message | None = None) -> Response:
    title, explanation = (
        (_TITLES[status], _EXPLANATIONS[status]) if status in _TITLES else (_SERVER_ERROR)
    )
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": title,
            "explanation": message or Message(explanation),
        },
        status_code=status if status in _TITLES or status >= 500 else 500,
    )


def _closing(exc: Any, response: Response) -> Response:
    """An upload refused before its body was read: the connection cannot carry another request."""
    if (getattr(exc, "headers", None) or {}).get("Connection") == "close":
        response.headers["Connection"] = "close"
    return response


def _for_pages(api_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        if isinstance(exc, SignInRequired) and is_page(request):
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return _closing(exc, redirect(request, f"/login?next={quote(here, safe='')}"))
        if isinstance(exc, EnrolmentRequired) and is_page(request):
            return _closing(exc, redirect(request, "/account"))
        # The API's handler decides the status (and logs what needs logging).
        answer = api_handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        if not is_page(request):
            return answer
        response = error_page(request, answer.status_code, getattr(exc, "page_message", None))
        for name in ("retry-after", "allow"):
            if name in answer.headers:
                response.headers[name] = answer.headers[name]
        return _closing(exc, response)

    return handle


def install_page_errors(app: FastAPI) -> None:
    """Wrap the API's error handlers (installed first) so that pages answer with pages."""
    for kind in (AppError, RequestValidationError, StarletteHTTPException, DBAPIError, Exception):
        api_handler = app.exception_handlers[kind]
        app.add_exception_handler(kind, _for_pages(api_handler))
