"""Keyset paging: every sort reaches the last page with no duplicate and no gap."""

import datetime as dt
from typing import get_args

import pytest
from httpx import AsyncClient

from app.recommendations.service import SortName
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, list_all

PRIORITIES = ["high", "medium", "low", None]
SORTS = list(get_args(SortName))


@pytest.fixture
async def twenty_three(client: AsyncClient) -> set[str]:
    """23 recommendations with many ties on every sort key, so ties span page boundaries."""
    ids = set()
    for n in range(23):
        rec = await create_recommendation(
            client,
            symbol=f"CRC/C/{['KEN', 'UGA', 'TZA'][n % 3]}/CO/1",
            publication_date=(dt.date(2020, 1, 1) + dt.timedelta(days=n % 4)).isoformat(),
            priority=PRIORITIES[n % 4],
        )
        ids.add(rec["id"])
    return ids


@pytest.mark.parametrize("sort", SORTS)
async def test_paging_to_the_end_sees_each_item_once(
    client: AsyncClient, twenty_three: set[str], sort: str
) -> None:
    items = await list_all(client, sort=sort, limit=4)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)) == 23
    assert set(ids) == twenty_three
    field = sort.lstrip("-")
    if field == "priority":
        ranks = [PRIORITIES.index(item["priority"]) for item in items]
    else:
        ranks = [item[field] for item in items]
    assert ranks == sorted(ranks, reverse=sort.startswith("-"))


async def test_default_order_is_newest_first(client: AsyncClient, twenty_three: set[str]) -> None:
    dates = [item["publication_date"] for item in await list_all(client, limit=7)]
    assert dates == sorted(dates, reverse=True)


async def test_total_is_counted_only_when_asked(
    client: AsyncClient, twenty_three: set[str]
) -> None:
    plain = (await client.get("/recommendations", params={"limit": 5})).json()
    assert "total" not in plain
    assert len(plain["items"]) == 5
    assert plain["next_cursor"]
    counted = await client.get(
        "/recommendations", params={"limit": 5, "include_total": "true", "priority": "high"}
    )
    assert counted.json()["total"] == 6


async def test_the_last_page_has_no_cursor(client: AsyncClient, twenty_three: set[str]) -> None:
    page = (await client.get("/recommendations", params={"limit": 23})).json()
    assert len(page["items"]) == 23
    assert page["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "eyJvIjoic3ltYm9sIn0",
        "e30",
        "",
        "!!!!",
        "eyJvIjoiLXB1YmxpY2F0aW9uX2RhdGUiLCJ2IjpbMV19",
    ],
)
async def test_invalid_cursor_is_400(client: AsyncClient, cursor: str) -> None:
    assert_problem(await client.get("/recommendations", params={"cursor": cursor}), 400)


async def test_cursor_of_another_sort_is_400(client: AsyncClient, twenty_three: set[str]) -> None:
    cursor = (await client.get("/recommendations", params={"limit": 2})).json()["next_cursor"]
    response = await client.get("/recommendations", params={"cursor": cursor, "sort": "symbol"})
    assert_problem(response, 400)
