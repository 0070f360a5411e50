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
