"""Rendering pages: one Jinja2 environment (autoescaped, gettext via Babel's catalogues)."""

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)

from app.i18n import LANGUAGES, Language
from app.web import i18n
from app.web.flash import take_flash
from app.web.labels import label
from app.web.sessions import ENROLMENT_PAGES, WebContext, apply_cookies

APP_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = APP_DIR / "templates"
STATIC_DIR = APP_DIR / "static"
# Pages allow their own styles, scripts and images only: no inline code, no other origin.
# (connect-src: a running import's page fetches its progress.)
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@dataclass(frozen=True)
class NavItem:
    path: str
    text: str  # a msgid, marked with N_
    permission: Any = None  # an app.auth.permissions.Permission, or None for everyone
    signed_in: bool = False


@cache
def static_version(name: str) -> str:
    """A digest of a static file, put in its URL so that browsers fetch a changed file anew."""
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]


def static_url(name: str) -> str:
    return f"/static/{name}?v={static_version(name)}"


def _number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value, locale=i18n.current_language())


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    return format_percent(value, format="#,##0%", locale=i18n.current_language())


def _file_size(size: int) -> str:
    """Bytes as kB or MB (decimal, as file managers show them), in the page's language."""
    if size >= 1_000_000:
        amount, unit = size / 1_000_000, "digital-megabyte"
    else:
        amount, unit = max(size, 1) / 1000, "digital-kilobyte"
    language = i18n.current_language()
    return format_unit(amount, unit, length="short", format="#,##0.#", locale=language)


def _date(value: dt.date | None) -> str:
    return "" if value is None else format_date(value, "medium", locale=i18n.current_language())


def _datetime(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "medium", tzinfo=dt.UTC, locale=i18n.current_language())


def _query(params: dict[str, Any] | list[tuple[str, Any]], **changes: Any) -> str:
    """A query string from `params`, with `changes` replacing (None: removing) keys."""
    pairs = list(params.items()) if isinstance(params, dict) else list(params)
    pairs = [(k, v) for k, v in pairs if k not in changes]
    pairs += [(k, v) for k, v in changes.items() if v is not None]
    return urlencode([(k, v) for k, v in pairs if v not in (None, "")], doseq=True)


def _per_page(function: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose answer depends on the page's language. Jinja folds a filter applied to
    constants (`"lead"|label("assignment_role")`) when it compiles the template, in whatever
    language that first page had; a filter that takes the context is never folded."""

    @pass_context
    def per_page(_context: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    return per_page


def _build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", "jinja2.ext.do"],
    )
    # The callables read the page's language from a context variable, so that macros
    # imported without context translate too.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    per_language: dict[str, Callable[..., Any]] = {
        "number": _number, "percent": _percent, "date": _date, "datetime": _datetime,
        "label": label, "message": i18n.translate, "file_size": _file_size,
    }  # fmt: skip
    env.filters.update({name: _per_page(function) for name, function in per_language.items()})
    env.globals.update(
        static_url=static_url,
        query_string=_query,
        LANGUAGES=LANGUAGES,
        AUTONYMS=i18n.AUTONYMS,
    )
    return env


environment = _build_environment()


def navigation(request: Request, context: WebContext | None) -> list[tuple[NavItem, bool]]:
    """The menu for this person, each item with whether it is the current page."""
    items: list[NavItem] = request.app.state.workspace_navigation
    shown = []
    enrolling = (
        context is not None and context.principal is not None and context.principal.must_enrol
    )
    for item in items:
        if item.signed_in and (context is None or context.principal is None):
            continue
        if enrolling and item.path not in ENROLMENT_PAGES:
            continue  # these would only send the person back to /account
        if item.permission is not None and not (context and context.can(item.permission)):
            continue
        here = request.url.path == item.path or (
            item.path != "/" and request.url.path.startswith(item.path + "/")
        )
        shown.append((item, here))
    return shown


def render(
    request: Request,
    template: str,
    values: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page in the person's language, with the layout's navigation, cookies and headers."""
    # A value named like one of the templates' helpers hides it from the whole page, which then
    # fails only where the helper is called (say, on a second page): refuse it on every render.
    shadowed = (values or {}).keys() & environment.globals.keys()
    if shadowed:
        raise RuntimeError(f"{template}: values {sorted(shadowed)} hide the templates' helpers")
    context: WebContext | None = getattr(request.state, "web", None)
    lang: Language = i18n.page_language(request)
    path_and_query = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    page = {
        "request": request,
        "lang": lang,
        "dir": "rtl" if lang in i18n.RIGHT_TO_LEFT else "ltr",
        "web": context,
        "principal": context.principal if context else None,
        "navigation": navigation(request, context),
        "here": path_and_query,
        "flash": take_flash(request, context),
        **(values or {}),
    }
    with i18n.speaking(lang):
        body = environment.get_template(template).render(page)
    response = HTMLResponse(body, status_code=status_code, headers=headers)
    response.headers["Content-Security-Policy"] = PAGE_CSP
    response.headers["Vary"] = "Cookie, Accept-Language"
    # Pages show what one person may see: never kept by a shared cache (and a page showing a
    # secret once says "no-store").
    if "cache-control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    apply_cookies(request, response, context)
    return response


def redirect(request: Request, url: str) -> RedirectResponse:
    """303 See Other (a POST answered, then a GET), carrying the cookies the request set."""
    response = RedirectResponse(url, status_code=303)
    apply_cookies(request, response, getattr(request.state, "web", None))
    return response


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site (never another origin), else `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
