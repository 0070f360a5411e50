"""Indicators and measurements made through the API."""

from typing import Any

from httpx import AsyncClient, Response


async def create_indicator(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/indicators", json={"name": "Births registered (%)", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def measure(
    http: AsyncClient, indicator: dict[str, Any], date: str, value: float
) -> Response:
    return await http.post(
        f"/indicators/{indicator['id']}/measurements", json={"date": date, "value": value}
    )
