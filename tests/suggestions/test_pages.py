"""The detail page's "Suggested SDG targets": coordinators see them and decide with the page's
forms (CSRF, as the others); other roles and the public see no such section."""

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.recommendations.factories import create_recommendation
from tests.suggestions.test_suggestions import WATER, _corpus
from tests.web.pages import browser, csrf_token, signed_in_browser

SECTION = 'id="suggestions-heading"'


async def test_a_coordinator_accepts_and_rejects_on_the_page(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(
        client, text={"en": WATER + " and sanitation for all, ending open defecation"}
    )
    page_client, _ = await signed_in_browser(app, Role.coordinator)
    try:
        page = await page_client.get(f"/recommendations/{rec['id']}")
        assert page.status_code == 200
        assert SECTION in page.text
        accept = f'action="/recommendations/{rec["id"]}/suggestions/6.1/accept"'
        assert accept in page.text
        token = csrf_token(page)
        # Without the CSRF token nothing happens.
        refused = await page_client.post(f"/recommendations/{rec['id']}/suggestions/6.1/accept")
        assert refused.status_code == 403
        done = await page_client.post(
            f"/recommendations/{rec['id']}/suggestions/6.1/accept", data={"csrf_token": token}
        )
        assert done.status_code == 303, done.text
        rejected = await page_client.post(
            f"/recommendations/{rec['id']}/suggestions/6.2/reject", data={"csrf_token": token}
        )
        assert rejected.status_code == 303, rejected.text
        bad = await page_client.post(
            f"/recommendations/{rec['id']}/suggestions/99.9/accept", data={"csrf_token": token}
        )
        assert bad.status_code == 422
        after = await page_client.get(f"/recommendations/{rec['id']}")
        assert accept not in after.text
        assert "/suggestions/6.2/" not in after.text
    finally:
        await page_client.aclose()
    api = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert api["sdg_targets"] == ["6.1"]


@pytest.mark.parametrize("role", [None, Role.viewer, Role.focal_point])
async def test_others_see_no_suggestions(app: FastAPI, client: AsyncClient, role: Role) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    if role is None:
        async with browser(app) as anonymous:
            page = await anonymous.get(f"/recommendations/{rec['id']}")
    else:
        page_client, _ = await signed_in_browser(app, role)
        try:
            page = await page_client.get(f"/recommendations/{rec['id']}")
            token = csrf_token(page)
            posted = await page_client.post(
                f"/recommendations/{rec['id']}/suggestions/6.1/accept", data={"csrf_token": token}
            )
            assert posted.status_code == 403
        finally:
            await page_client.aclose()
    assert page.status_code == 200
    assert SECTION not in page.text
    assert (await client.get(f"/recommendations/{rec['id']}")).json()["sdg_targets"] == []
