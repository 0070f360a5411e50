"""ASGI middleware: request size limit, URLs without NUL, security headers on every response."""

import re
from collections.abc import Sequence

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import FieldProblem, PayloadTooLarge, UnprocessableEntity, problem_response

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
CSP = b"content-security-policy"
API_CSP = b"default-src 'none'; frame-ancestors 'none'"
# Browsers keep to HTTPS for a year once they have seen the service over it.
HSTS = (b"strict-transport-security", b"max-age=31536000")


# The body was not read to its end: the connection cannot carry another request.
CLOSE = {"Connection": "close"}


class BodySizeLimit:
    """Refuse bodies over the limit with 413, whether or not Content-Length is sent.

    Paths starting with one of `upload_paths` have the larger `max_upload_bytes` limit; paths
    matching a pattern of `path_limits` have that pattern's limit. A body
    sent without Content-Length (chunked) is cut off where it passes the limit; whatever the
    route makes of the cut (FastAPI calls it a body it cannot parse), the client gets the 413.
    """

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_upload_bytes: int,
        upload_paths: tuple[str, ...],
        path_limits: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths
        self.path_limits = [(re.compile(pattern), limit) for pattern, limit in path_limits]

    def _limit(self, path: str) -> int:
        if path.startswith(self.upload_paths):
            return self.max_upload_bytes
        return next(
            (n for pattern, n in self.path_limits if pattern.fullmatch(path)), self.max_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(str(scope.get("path", "")))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        received = 0
        cut_off = False
        answered = False

        async def limited_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    raise PayloadTooLarge(_too_large_detail(limit))
            return message

        async def send_or_refuse(message: Message) -> None:
            nonlocal answered
            if not cut_off:
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = True
                await _send_whole(_too_large(limit), send)

        try:
            await self.app(scope, limited_receive, send_or_refuse)
        except PayloadTooLarge:
            if not cut_off:
                raise
        if cut_off and not answered:
            await _send_whole(_too_large(limit), send)


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than {limit} bytes."


def _too_large(limit: int) -> JSONResponse:
    return problem_response(
        413, PayloadTooLarge.title, _too_large_detail(limit), slug=PayloadTooLarge.slug,
        headers=CLOSE,
    )  # fmt: skip


async def _send_whole(response: Response, send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": response.status_code,
         "headers": response.raw_headers}
    )  # fmt: skip
    await send({"type": "http.response.body", "body": response.body})


class NulInUrl:
    """Refuse a path or query holding U+0000 (422), on every backend alike.

    PostgreSQL cannot compare text holding it, so `?country=%00` would otherwise fail there
    alone; request bodies are checked by app.json_types.RequestBody.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            query = bytes(scope.get("query_string", b""))
            where = "path" if "\x00" in str(scope.get("path", "")) else None
            if b"%00" in query or b"\x00" in query:
                where = "query"
            if where is not None:
                message = "may not contain the NUL character (%00)"
                response = problem_response(
                    422,
                    UnprocessableEntity.title,
                    f"The URL's {where} {message}.",
                    slug=UnprocessableEntity.slug,
                    errors=[FieldProblem(field=where, message=message, code="nul_character")],
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


_OVER_HTTP = (*SECURITY_HEADERS, (CSP, API_CSP))
_OVER_HTTPS = (*_OVER_HTTP, HSTS)


class SecurityHeaders:
    """The same headers on every response, errors and 500s included (app.main puts this
    outside Starlette's error middleware); HSTS on what came over HTTPS, as the proxy headers
    tell (uvicorn's --forwarded-allow-ips). Pages may set their own Content-Security-Policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _OVER_HTTPS if scope.get("scheme") == "https" else _OVER_HTTP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
