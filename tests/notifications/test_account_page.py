"""The notification settings form of /account: the API's service behind a CSRF-checked form."""

from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.models.user import Role
from tests.accounts import bearer
from tests.web.pages import csrf_token, signed_in_browser


async def test_the_account_page_shows_and_saves_the_notification_settings(app: FastAPI) -> None:
    client, user = await signed_in_browser(app, Role.focal_point)
    api = AsyncClient(
        transport=ASGITransport(app=app), base_url="http://test/api/v1", headers=bearer(app, user)
    )
    page = await client.get("/account")
    assert page.status_code == 200
    assert 'action="/account/notifications"' in page.text
    assert 'id="f-email" name="email" value="on" checked' in page.text
    token = csrf_token(page)

    forged = await client.post("/account/notifications", data={"digest": "off"})
    assert forged.status_code == 403
    assert (await api.get("/users/me/notifications")).json()["digest"] == "daily"

    refused = await client.post(
        "/account/notifications", data={"csrf_token": token, "email": "on", "digest": "hourly"}
    )
    assert refused.status_code == 422
    assert 'class="field invalid"' in refused.text
    assert (await api.get("/users/me/notifications")).json()["digest"] == "daily"

    saved = await client.post(
        "/account/notifications",
        data={"csrf_token": token, "digest": "weekly", "notification_language": "ar"},
    )
    assert saved.status_code == 303, saved.text
    # The box left unticked: email off.
    assert (await api.get("/users/me/notifications")).json() == {
        "email": False, "digest": "weekly", "language": "ar",
    }  # fmt: skip
    again = await client.get("/account")
    assert 'id="f-email" name="email" value="on">' in again.text
    assert '<option value="weekly" selected>' in again.text
    await api.aclose()
    await client.aclose()
