import secrets

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr

from app.config import Settings
from app.main import create_app


def test_plain_database_urls_get_the_async_driver() -> None:
    assert Settings(database_url="postgresql://u@h/db").database_url.startswith(
        "postgresql+asyncpg://"
    )
    assert Settings(database_url="sqlite:///x.db").database_url == "sqlite+aiosqlite:///x.db"


async def test_security_headers_on_every_response(anonymous: AsyncClient) -> None:
    for response in (await anonymous.get("/sdgs"), await anonymous.get("/nothing")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_cors_allows_only_the_configured_origins(database_url: str) -> None:
    settings = Settings(
        database_url=database_url,
        secret_key=SecretStr(secrets.token_hex(32)),
        cors_origins=["https://nmrf.example.org"],
    )
    app: FastAPI = create_app(settings)
    transport = ASGITransport(app=app)
    async with AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        allowed = await http.options(
            "/recommendations",
            headers={"Origin": "https://nmrf.example.org", "Access-Control-Request-Method": "PATCH",
                     "Access-Control-Request-Headers": "if-match, authorization"},
        )  # fmt: skip
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://nmrf.example.org"
        other = await http.get("/sdgs", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        exposed = await http.get("/sdgs/1", headers={"Origin": "https://nmrf.example.org"})
        assert "etag" in exposed.headers["access-control-expose-headers"].lower()
    await app.state.engine.dispose()
