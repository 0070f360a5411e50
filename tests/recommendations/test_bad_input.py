"""Bad input of any kind is a 4xx problem+json, and nothing is written."""

from typing import Any

import pytest
from httpx import AsyncClient

from app.recommendations.schemas import MAX_TEXT_LENGTH
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, recommendation_payload


async def _nothing_written(client: AsyncClient) -> None:
    page = (await client.get("/recommendations", params={"include_total": "true"})).json()
    assert page["total"] == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{bad", 400),
        (b'{"symbol": "A/1",', 400),
        (b"\xff\xfe\x00", 400),
        (b'{"a": 1}}', 400),
        (b"[1, 2", 400),
        (b"", 422),  # no body at all: the required body is missing
    ],
)
async def test_malformed_json_is_400(client: AsyncClient, body: bytes, status: int) -> None:
    response = await client.post(
        "/recommendations", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, status)
    await _nothing_written(client)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"text": {"en": "x" * (MAX_TEXT_LENGTH + 1)}}, "body.text.en"),
        ({"text": {"de": "Empfehlung"}}, "body.text.de"),
        ({"text": {"zh-Hans": "建议"}}, "body.text.zh-Hans"),
        ({"text": {}}, "body.text"),
        ({"text": {"en": ""}}, "body.text.en"),
        ({"symbol": "S" * 201}, "body.symbol"),
        ({"symbol": "   "}, "body.symbol"),
        ({"countries": []}, "body.countries"),
        ({"countries": ["KE"]}, "body.countries.0"),
        ({"sdg_goals": [0]}, "body.sdg_goals.0"),
        ({"sdg_goals": [18]}, "body.sdg_goals.0"),
        ({"sdg_targets": ["sixteen"]}, "body.sdg_targets.0"),
        ({"publication_date": "21/03/2016"}, "body.publication_date"),
        ({"type": "opinion"}, "body.type"),
        ({"priority": "urgent"}, "body.priority"),
        ({"themes": ["not-a-uuid"]}, "body.themes.0"),
        ({"mechanism": "UPR", "upr": {"cycle": 9}}, "body.upr.cycle"),
        ({"status": "implemented"}, "body.status"),
        ({"colour": "red"}, "body.colour"),
        ({"symbol": 42}, "body.symbol"),
    ],
)
async def test_invalid_values_are_422_naming_the_field(
    client: AsyncClient, override: dict[str, Any], field: str
) -> None:
    response = await client.post("/recommendations", json=recommendation_payload(**override))
    assert_problem(response, 422, field)
    await _nothing_written(client)


async def test_missing_required_fields_are_named(client: AsyncClient) -> None:
    response = await client.post("/recommendations", json={})
    body = assert_problem(response, 422)
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"body.symbol", "body.mechanism", "body.countries", "body.text"} <= fields


async def test_body_that_is_not_an_object_is_422(client: AsyncClient) -> None:
    assert_problem(await client.post("/recommendations", json=[1, 2, 3]), 422)


async def test_oversized_body_is_413(client: AsyncClient) -> None:
    payload = recommendation_payload(text={"en": "x" * 3_000_000})
    response = await client.post("/recommendations", json=payload)
    assert_problem(response, 413)
    await _nothing_written(client)


async def test_wrong_content_type_is_a_problem(client: AsyncClient) -> None:
    response = await client.post(
        "/recommendations", content=b"symbol=A", headers={"Content-Type": "text/plain"}
    )
    assert_problem(response, 422)
    await _nothing_written(client)


async def test_an_id_in_the_path_that_is_no_uuid_is_404(client: AsyncClient) -> None:
    # DESIGN §8's 400 and 422 are for bad input; a path that names no recommendation names
    # nothing, as an unknown UUID does: the same 404 (GET /recommendations/bulk-update is 405).
    malformed = assert_problem(await client.get("/recommendations/123"), 404)
    unknown = await client.get("/recommendations/00000000-0000-4000-8000-000000000000")
    assert malformed["type"] == assert_problem(unknown, 404)["type"]


async def test_unknown_route_and_method_are_problems(client: AsyncClient) -> None:
    assert_problem(await client.get("/nothing-here"), 404)
    assert_problem(await client.put("/recommendations"), 405)


async def test_bad_patch_changes_nothing(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    response = await client.patch(
        f"/recommendations/{rec['id']}",
        json={"priority": "high", "countries": ["KEN", "XXX"]},
        headers={"If-Match": '"1"'},
    )
    assert_problem(response, 422, "body.countries")
    current = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert current == rec
