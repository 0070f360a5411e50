from fastapi import FastAPI

from app.models.user import Role
from tests.web.pages import browser, signed_in_browser


async def test_public_pages_render(app: FastAPI) -> None:
    async with browser(app) as client:
        for path in ("/", "/recommendations", "/login"):
            page = await client.get(path)
            assert page.status_code == 200, (path, page.text[-3000:])


async def test_signed_in_pages_render(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.coordinator)
    for path in ("/", "/recommendations", "/account"):
        page = await client.get(path)
        assert page.status_code == 200, (path, page.text[-3000:])
    await client.aclose()
