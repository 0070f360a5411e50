"""The workspace's cookie names. Over HTTPS they carry the `__Host-` prefix, which browsers
honour only for a cookie set Secure, with Path=/ and no Domain: a sibling subdomain or a
plain-HTTP page on the same host then cannot plant or overwrite a session or CSRF cookie."""

from starlette.requests import Request


def cookie_name(request: Request, name: str) -> str:
    return f"__Host-{name}" if request.url.scheme == "https" else name


def read_cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(request, name))
