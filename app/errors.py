"""One error hierarchy, rendered by one set of handlers as RFC 9457 problem+json."""

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.dependants import form_fields

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("rectrack")


class FieldProblem(BaseModel):
    field: str
    message: str
    code: str
    # Where in an uploaded workbook (POST /plans/workbook): the sheet, its row, the column.
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class AppError(Exception):
    status = 500
    title = "Internal server error"
    slug = "internal"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[FieldProblem] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.headers = headers


class BadRequest(AppError):
    status, title, slug = 400, "Bad request", "bad-request"


class Unauthorized(AppError):
    status, title, slug = 401, "Unauthorized", "unauthorized"


class Forbidden(AppError):
    status, title, slug = 403, "Forbidden", "forbidden"


class NotFound(AppError):
    status, title, slug = 404, "Not found", "not-found"


class Conflict(AppError):
    status, title, slug = 409, "Conflict", "conflict"


class PreconditionFailed(AppError):
    status, title, slug = 412, "Precondition failed", "precondition-failed"


class PayloadTooLarge(AppError):
    status, title, slug = 413, "Payload too large", "payload-too-large"


class UnsupportedMediaType(AppError):
    status, title, slug = 415, "Unsupported media type", "unsupported-media-type"


class UnprocessableEntity(AppError):
    status, title, slug = 422, "Invalid input", "invalid-input"

    @classmethod
    def for_field(cls, field: str, message: str, code: str = "invalid") -> "UnprocessableEntity":
        return cls(message, errors=[FieldProblem(field=field, message=message, code=code)])


class PreconditionRequired(AppError):
    status, title, slug = 428, "Precondition required", "precondition-required"


class TooManyRequests(AppError):
    status, title, slug = 429, "Too many requests", "too-many-requests"


class ServiceUnavailable(AppError):
    status, title, slug = 503, "Service busy", "busy"


def reject_nulls(sent: Mapping[str, object], *fields: str) -> None:
    """A PATCH may leave a field out, but may not set a required one to null."""
    nulled = [field for field in fields if field in sent and sent[field] is None]
    if nulled:
        raise UnprocessableEntity(
            "Some fields cannot be null; leave them out to keep their value.",
            errors=[
                FieldProblem(field=f"body.{field}", message=f"{field} cannot be null", code="null")
                for field in nulled
            ],
        )


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    slug: str,
    errors: list[FieldProblem] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        type=f"urn:rectrack:problem:{slug}",
        title=title,
        status=status,
        detail=detail,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _wrong_body_kind(request: Request, raw: list[dict[str, Any]]) -> JSONResponse | None:
    """A JSON body sent to a form, or a body sent without `Content-Type: application/json`:
    pydantic's own words ("Field required" for fields that were sent, "Input should be a valid
    dictionary") would not tell the client what is wrong."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return None
    sent = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not all(e["loc"] and e["loc"][0] == "body" for e in raw):
        return None
    names, multipart = form_fields(route)
    if names:
        if sent in _FORM_TYPES:
            return None
        wanted = "multipart/form-data" if multipart else "application/x-www-form-urlencoded"
        shape = "&".join(f"{name}=…" for name in names)
        what = "an OAuth2 password form" if {"username", "password"} <= set(names) else "a form"
        detail = (
            f"This endpoint takes {what}, not {sent or 'a body without a content type'}: send "
            f"`Content-Type: {wanted}` with the fields {', '.join(names)} (e.g. `{shape}`)."
        )
    elif sent == "application/json" or sent.endswith("+json") or raw[0]["loc"] != ("body",):
        # The body was read as JSON (a client without a content type, when FastAPI's strict
        # content type is off, too): its own field errors stand.
        return None
    else:
        detail = (
            f"This endpoint takes a JSON body: send `Content-Type: application/json` "
            f"(the request said {sent or 'no content type'})."
        )
    return problem_response(
        422,
        UnprocessableEntity.title,
        detail,
        slug=UnprocessableEntity.slug,
        errors=[FieldProblem(field="body", message=detail, code="content_type")],
    )


def _validation_problem(request: Request, exc: RequestValidationError) -> JSONResponse:
    raw: list[dict[str, Any]] = list(exc.errors())
    # A body that is not JSON at all is a syntax error (400), not a value error (422).
    syntax = [e for e in raw if e.get("type") == "json_invalid"]
    if syntax:
        return problem_response(
            400,
            "Malformed request body",
            "The request body is not valid JSON.",
            slug="malformed-body",
        )
    wrong_kind = _wrong_body_kind(request, raw)
    if wrong_kind is not None:
        return wrong_kind
    errors = [
        FieldProblem(field=_field_name(tuple(e["loc"])), message=e["msg"], code=e["type"])
        for e in raw
    ]
    return problem_response(
        422,
        UnprocessableEntity.title,
        "The request has invalid values; see errors.",
        slug=UnprocessableEntity.slug,
        errors=errors,
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """Every method served at this path: Starlette's 405 names only the first route matched."""
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


# PostgreSQL's serialization failure and deadlock; SQLite's lock wait running out.
_TRANSIENT_SQLSTATES = {"40001", "40P01"}


def _is_transient(exc: Exception) -> bool:
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) in _TRANSIENT_SQLSTATES:
        return True
    return "database is locked" in str(original)


def install_error_handlers(app: FastAPI) -> None:
    async def on_app_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AppError)
        return problem_response(
            exc.status,
            exc.title,
            exc.detail,
            slug=exc.slug,
            errors=exc.errors,
            headers=exc.headers,
        )

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_problem(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}
        title = titles.get(exc.status_code, "HTTP error")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return problem_response(
            exc.status_code,
            title,
            str(exc.detail),
            slug=title.lower().replace(" ", "-"),
            headers=headers,
        )

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        if _is_transient(exc):
            # The transaction was rolled back whole; the same request can simply be sent again.
            logger.warning("transient database conflict: %s", exc)
            return problem_response(
                503,
                "Service busy",
                "The database was busy with other writes; nothing was changed. Retry shortly.",
                slug="busy",
                headers={"Retry-After": "1"},
            )
        return await on_unexpected(request, exc)

    async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error", exc_info=exc)
        return problem_response(
            500, "Internal server error", "An unexpected error occurred.", slug="internal"
        )

    app.add_exception_handler(AppError, on_app_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(DBAPIError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem statuses an operation can answer."""
    return {
        status: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}, "description": "Problem"}
        for status in statuses
    }
