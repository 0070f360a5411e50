"""HTTP-level hardening: headers on every response (500s too), HSTS over HTTPS, /docs with no
CDN, 413 for chunked bodies over the limit, and SQL logs without bound values."""

import logging
import re
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.docs_page import ASSETS
from app.main import create_app
from app.models.user import Role
from tests.accounts import bearer, make_user
from tests.problems import assert_problem

HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def _assert_security_headers(headers: dict[str, str] | object) -> None:
    for name, value in HEADERS.items():
        assert headers[name] == value, name  # type: ignore[index]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]  # type: ignore[index]


async def test_a_500_carries_the_security_headers(app: FastAPI) -> None:
    async def explode() -> None:
        raise RuntimeError("a bug")

    own = create_app(app.state.settings)  # a route of its own: not on the shared app
    own.add_api_route("/api/v1/explode", explode)
    transport = ASGITransport(app=own, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/api/v1/explode")
    await own.state.engine.dispose()
    assert_problem(response, 500)
    _assert_security_headers(response.headers)
    assert "a bug" not in response.text


async def test_hsts_only_over_https(app: FastAPI) -> None:
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="https://nmrf.example") as https:
        secure = await https.get("/healthz")
    async with AsyncClient(transport=transport, base_url="http://nmrf.example") as http:
        plain = await http.get("/healthz")
    assert secure.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in plain.headers
    _assert_security_headers(secure.headers)


async def test_docs_pages_load_nothing_from_elsewhere(root_client: AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        page = await root_client.get(path)
        assert page.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert urls, path
        assert not [u for u in urls if "//" in u], urls
        assert "<script>" not in page.text  # no inline script: the CSP allows none
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "http" not in policy
        for url in urls:
            asset = await root_client.get("/" + url)
            assert asset.status_code == 200, url
    bundle = await root_client.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.content == (ASSETS / "swagger-ui-bundle.js").read_bytes()


async def _chunks(size: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b"x" * 65536
        sent += 65536


async def test_a_chunked_json_body_over_the_limit_is_413(client: AsyncClient) -> None:
    response = await client.post(
        "/clusters", content=_chunks(3 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 413)
    assert response.headers["connection"] == "close"


async def test_a_chunked_upload_over_the_limit_is_413(app: FastAPI) -> None:
    limit = 1024 * 1024
    boundary = "b0undary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="e.json"\r\n'
        "Content-Type: application/json\r\n\r\n["
    ).encode()

    async def body() -> AsyncIterator[bytes]:
        yield head
        async for chunk in _chunks(2 * limit):
            yield chunk

    # The limit is the middleware's, set when the app is built: an app of its own.
    own = create_app(app.state.settings.model_copy(update={"max_upload_bytes": limit}))
    headers = bearer(own, await make_user(own, Role.coordinator))
    transport = ASGITransport(app=own, raise_app_exceptions=False)
    async with AsyncClient(
        transport=transport, base_url="http://test/api/v1", headers=headers
    ) as client:
        response = await client.post(
            "/imports",
            content=body(),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        assert_problem(response, 413)
        assert (await client.get("/imports")).json()["items"] == []
    await own.state.engine.dispose()
    assert not app.state.settings.import_dir.exists()


@pytest.mark.parametrize("statement", ["SELECT * FROM nowhere WHERE email = :email"])
async def test_sql_errors_never_log_bound_values(
    app: FastAPI, caplog: pytest.LogCaptureFixture, statement: str
) -> None:
    secret = "person@example.org"
    async with app.state.sessionmaker() as session:
        with pytest.raises(DBAPIError) as failure:
            await session.execute(text(statement), {"email": secret})
    assert secret not in str(failure.value)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").error("failed: %s", failure.value)
    assert secret not in caplog.text


def test_openpyxl_parses_with_defusedxml() -> None:
    import defusedxml.ElementTree
    import openpyxl.xml.functions

    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse
