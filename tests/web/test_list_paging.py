"""Lists longer than a page: the next page's link, and back to the first."""

import re

from fastapi import FastAPI

from tests.web.corpus import fill
from tests.web.pages import browser


async def test_the_recommendations_list_pages_through(app: FastAPI) -> None:
    await fill(app, count=30)
    async with browser(app) as client:
        first = await client.get("/recommendations", params={"limit": 25, "sort": "symbol"})
        assert first.status_code == 200, first.text[-300:]
        found = re.search(r'href="(/recommendations\?[^"]*cursor=[^"]+)" rel="next"', first.text)
        assert found
        second = await client.get(found.group(1).replace("&amp;", "&"))
        assert second.status_code == 200
        assert "First page" in second.text
        links = re.findall(r'class="result-title"><a href="([^"]+)"', first.text + second.text)
        assert len(links) == len(set(links)) == 30  # each once, none left out


async def test_the_list_downloads_as_filtered_in_every_format(app: FastAPI) -> None:
    await fill(app, count=30)
    async with browser(app) as client:
        page = await client.get(
            "/recommendations", params={"sdg_goal": 16, "limit": 25, "sort": "symbol"}
        )
        export = r'href="(/api/v1/recommendations/export\?[^"]*format=(\w+)[^"]*)" download'
        links = {fmt: href.replace("&amp;", "&") for href, fmt in re.findall(export, page.text)}
        assert set(links) == {"csv", "xlsx", "ndjson"}
        assert "limit=" not in links["csv"]
        assert "lang=en" in links["csv"]
        listed = (await client.get("/api/v1/recommendations", params={"sdg_goal": 16})).json()
        exported = await client.get(links["ndjson"])
        assert exported.status_code == 200, exported.text
        rows = [line for line in exported.text.splitlines() if line]
        assert len(rows) == len(listed["items"]) < 30  # the filter kept, every page
