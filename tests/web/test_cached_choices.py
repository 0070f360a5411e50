"""The select boxes' lists are kept between requests (app/web/choices.py); every change to their
tables shows on the next page all the same, and the overview counts every recommendation."""

import html
import re

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from app.models.taxonomy import Theme
from tests.recommendations.factories import create_recommendation
from tests.web.pages import browser


def _options(page: str, name: str) -> list[str]:
    found = re.search(rf'<select id="f-{name}" name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert found, f"no select {name}"
    return [html.unescape(o) for o in re.findall(r"<option[^>]*>([^<]*)</option>", found.group(1))]


async def test_the_filters_follow_edits_to_institutions_and_clusters(
    app: FastAPI, client: AsyncClient
) -> None:
    made = await client.post(
        "/institutions", json={"name": "Ministry of Justice", "kind": "ministry"}
    )
    ministry = made.json()
    async with browser(app) as web:
        first = await web.get("/recommendations")
        assert "Ministry of Justice" in _options(first.text, "institution")
        renamed = await client.patch(
            f"/institutions/{ministry['id']}", json={"name": "Ministry of Law"},
            headers={"If-Match": '"1"'},
        )  # fmt: skip
        assert renamed.status_code == 200, renamed.text
        shown = _options((await web.get("/recommendations")).text, "institution")
        assert "Ministry of Law" in shown
        assert "Ministry of Justice" not in shown
        other = await client.post("/institutions", json={"name": "Police", "kind": "other"})
        assert other.status_code == 201, other.text
        assert "Police" in _options((await web.get("/recommendations")).text, "institution")
        archived = await client.delete(
            f"/institutions/{ministry['id']}", headers={"If-Match": '"2"'}
        )
        assert archived.status_code == 204
        shown = _options((await web.get("/recommendations")).text, "institution")
        assert "Ministry of Law" not in shown
        assert "Police" in shown
        assert (await client.post("/clusters", json={"name": "Torture law"})).status_code == 201
        assert "Torture law" in _options((await web.get("/recommendations")).text, "cluster")


async def test_a_renamed_theme_shows_on_the_next_page(app: FastAPI) -> None:
    """As `rectrack seed` renames reference data under a running server."""
    async with browser(app) as web:
        themes = _options((await web.get("/recommendations")).text, "theme")
        async with app.state.sessionmaker() as session:
            theme = (await session.scalars(select(Theme).order_by(Theme.id).limit(1))).one()
            old = theme.name["en"]
            assert old in themes
            # Letter for letter: a change that keeps the label's length shows too.
            theme.name = {**theme.name, "en": old.upper()}
            await session.commit()
        themes = _options((await web.get("/recommendations")).text, "theme")
        assert old.upper() in themes
        assert old not in themes


async def test_the_overview_counts_recommendations_under_no_goal_too(
    app: FastAPI, client: AsyncClient
) -> None:
    await create_recommendation(client, sdg_goals=[5])
    await create_recommendation(client, sdg_goals=[5, 16])
    await create_recommendation(client)  # under no goal
    await create_recommendation(client, mechanism="UPR", upr={"position": "supported", "cycle": 3})
    archived = await create_recommendation(client)
    gone = await client.delete(
        f"/recommendations/{archived['id']}", headers={"If-Match": f'"{archived["version"]}"'}
    )
    assert gone.status_code in (200, 204), gone.text
    async with browser(app) as web:
        page = (await web.get("/")).text
    counts = {
        what: count
        for count, what in re.findall(
            r'<span class="count">([^<]+)</span> <span class="what">([^<]+)</span>', page
        )
    }
    assert counts["All recommendations"] == "4"
    assert counts["Not started"] == "4"
