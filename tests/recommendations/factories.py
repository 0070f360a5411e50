"""Building recommendations through the API."""

import itertools
from typing import Any

from httpx import AsyncClient

_numbers = itertools.count(1)


def recommendation_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_numbers)
    payload: dict[str, Any] = {
        "symbol": "CRC/C/KEN/CO/3-5",
        "paragraph": str(n),
        "type": "recommendation",
        "mechanism": "CRC",
        "countries": ["KEN"],
        "text": {"en": f"The Committee recommends that the State party act ({n})."},
        "publication_date": "2016-03-21",
    }
    payload.update(overrides)
    return payload


async def create_recommendation(client: AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/recommendations", json=recommendation_payload(**overrides))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_all(client: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    """Every item of GET /recommendations, following cursors to the end."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get("/recommendations", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def ids_matching(client: AsyncClient, **params: Any) -> set[str]:
    return {item["id"] for item in await list_all(client, **params)}
