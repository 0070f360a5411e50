"""ASGI middleware: request size limit, URLs without NUL, security headers on every response."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import FieldProblem, PayloadTooLarge, UnprocessableEntity, problem_response

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]
# The interactive docs page loads its script and styles from a CDN.
_DOCS_PATHS = ("/docs", "/redoc")


class BodySizeLimit:
    """Refuse bodies over the limit with 413, whether or not Content-Length is sent.

    Paths starting with one of `upload_paths` have the larger `max_upload_bytes` limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, max_upload_bytes: int, upload_paths: tuple[str, ...]
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes
        self.upload_paths = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_upload = str(scope.get("path", "")).startswith(self.upload_paths)
        limit = self.max_upload_bytes if is_upload else self.max_bytes
        detail = f"The request body is larger than {limit} bytes."
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413, PayloadTooLarge.title, detail, slug=PayloadTooLarge.slug
            )
            await response(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(detail)
            return message

        await self.app(scope, limited_receive, send)


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


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = str(scope.get("path", "")).startswith(_DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS:
                    if name not in present and not (is_docs and name == b"content-security-policy"):
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
