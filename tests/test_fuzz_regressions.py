"""Defects Schemathesis found (tests/fuzz), each pinned by a test of its own."""

import datetime as dt
from typing import Any

import pytest
from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, recommendation_payload


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/recommendations", {"GET", "POST"}),
        ("/recommendations/8d7c5f0e-0d5c-4f3b-9a7e-2f4c1b9a6d21", {"GET", "PATCH", "DELETE"}),
        ("/assignments/bulk", {"POST"}),
        ("/users/me", {"GET"}),
    ],
)
async def test_method_not_allowed_names_every_method_of_the_path(
    client: AsyncClient, path: str, allowed: set[str]
) -> None:
    # Starlette named only the first route's methods, and /assignments/bulk fell through to
    # PATCH /assignments/{assignment_id} as a malformed UUID (422) instead of 405.
    response = await client.request("PUT", path, json={})
    assert_problem(response, 405)
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allowed


async def test_a_path_id_that_is_no_uuid_is_not_found(client: AsyncClient) -> None:
    assert_problem(await client.get("/themes/not-a-uuid"), 404)
    assert_problem(await client.get("/themes/e3e70682-c209-1cac-a29f-6fbed82c07cd"), 404)


@pytest.mark.parametrize("target_date", [0, 1_700_000_000, 1.5, True])
async def test_a_number_is_not_a_date(client: AsyncClient, target_date: object) -> None:
    response = await client.post("/indicators", json={"name": "x", "target_date": target_date})
    assert_problem(response, 422, "body.target_date")
    assert (await client.get("/indicators")).json()["items"] == []


@pytest.mark.parametrize("target", [True, False, "3"])
async def test_a_boolean_or_text_is_not_a_number(client: AsyncClient, target: object) -> None:
    response = await client.post("/indicators", json={"name": "x", "target": target})
    assert_problem(response, 422, "body.target")


async def test_goal_numbers_and_flags_take_no_coercion(client: AsyncClient) -> None:
    response = await client.post("/recommendations", json=recommendation_payload(sdg_goals=["3"]))
    assert_problem(response, 422, "body.sdg_goals")
    made = await create_recommendation(client)
    patched = await client.patch(
        f"/recommendations/{made['id']}", json={"archived": "yes"}, headers={"If-Match": '"1"'}
    )
    assert_problem(patched, 422, "body.archived")


@pytest.mark.parametrize("field", ["cycle", "session"])
@pytest.mark.parametrize("value", [True, "2"])
async def test_upr_cycle_and_session_take_no_coercion(
    client: AsyncClient, field: str, value: object
) -> None:
    payload = recommendation_payload(mechanism="UPR", upr={field: value})
    response = await client.post("/recommendations", json=payload)
    assert_problem(response, 422, f"body.upr.{field}")


async def test_an_api_token_expiry_is_no_timestamp(client: AsyncClient) -> None:
    response = await client.post("/api-tokens", json={"name": "ci", "expires_at": 4102444800})
    assert_problem(response, 422, "body.expires_at")


@pytest.mark.parametrize("length", [72, 73, 200, 256])
async def test_long_passwords_are_accepted(admin: AsyncClient, length: int) -> None:
    # zxcvbn raised on more than 72 characters: a 500 for a strong, long passphrase.
    password = ("Quiet-river-7-Lamp-" * 14)[:length]
    response = await admin.post(
        "/users",
        json={"email": "long@example.org", "name": "Long", "password": password, "role": "viewer"},
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("password", ["a" * 257, "Quiet-river"])
async def test_password_lengths_outside_the_policy_are_refused(
    admin: AsyncClient, password: str
) -> None:
    response = await admin.post(
        "/users",
        json={"email": "x@example.org", "name": "X", "password": password, "role": "viewer"},
    )
    assert_problem(response, 422, "body.password")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/recommendations?published_to=0", "query.published_to"),
        ("/progress/sdgs?published_from=20260101", "query.published_from"),
        ("/actions?due_before=0", "query.due_before"),
        ("/assignments?due_before=0", "query.due_before"),
        ("/audit?until=0.5", "query.until"),
        ("/audit?since=2026-01-01", "query.since"),
    ],
)
async def test_query_dates_are_iso_8601_not_timestamps(
    client: AsyncClient, path: str, field: str
) -> None:
    assert_problem(await client.get(path), 422, field)


async def _listed(client: AsyncClient, path: str, key: str) -> list[Any]:
    response = await client.get(path)
    assert response.status_code == 200, f"{path}: {response.text}"
    return [item[key] for item in response.json()["items"]]


async def test_query_dates_in_iso_8601_are_taken(client: AsyncClient) -> None:
    """Each date is read as the date it names: the filters it feeds select by it."""
    on = await create_recommendation(client, publication_date="2026-01-31", symbol="A/ON")
    await create_recommendation(client, publication_date="2026-02-01", symbol="A/AFTER")
    for due in ("2026-01-30", "2026-01-31"):
        made = await client.post("/actions", json={"title": due, "recommendation_ids": [on["id"]],
                                                   "due_date": due})  # fmt: skip
        assert made.status_code == 201, made.text
    assert await _listed(client, "/recommendations?published_to=2026-01-31", "symbol") == ["A/ON"]
    assert await _listed(client, "/actions?due_before=2026-01-31", "title") == ["2026-01-30"]
    now = dt.datetime.now(dt.UTC)
    hour_ago = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    in_an_hour = (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert await _listed(client, f"/audit?until={hour_ago}", "action") == []
    written = await _listed(client, f"/audit?until={in_an_hour}&entity_type=action", "action")
    assert written == ["create", "create"]


@pytest.mark.parametrize(
    "path",
    [
        "/recommendations?country=%00",
        "/progress/sdgs?mechanism=CRC&q=a%00b",
        "/recommendations?symbol=A%00",
        "/mechanisms/CR%00C",
    ],
)
async def test_nul_in_the_url_is_refused_on_every_backend(client: AsyncClient, path: str) -> None:
    # PostgreSQL cannot compare text holding U+0000: this was a 500 there and a 200 on SQLite.
    response = await client.get(path)
    assert_problem(response, 422)
    assert response.json()["errors"][0]["code"] == "nul_character"


async def test_nul_in_a_body_is_refused_and_nothing_is_written(client: AsyncClient) -> None:
    response = await client.post(
        "/clusters", json={"name": "Torture\x00", "recommendation_ids": []}
    )
    body = assert_problem(response, 422)
    assert "name" in str(body["errors"])
    payload = recommendation_payload(text={"en": "ok", "fr": "a\x00b"})
    assert_problem(await client.post("/recommendations", json=payload), 422)
    assert (await client.get("/clusters")).json()["items"] == []
    assert (await client.get("/recommendations")).json()["items"] == []


async def test_goal_numbers_beyond_any_column_are_refused(client: AsyncClient) -> None:
    # 2199023255553 overflowed PostgreSQL's smallint: a 500.
    assert_problem(await client.get("/sdgs/2199023255553"), 422, "path.number")
    assert_problem(await client.get("/progress/sdgs/2199023255553"), 422, "path.goal")


@pytest.mark.parametrize("field", ["username", "password"])
async def test_a_nul_character_in_the_sign_in_form_is_refused(
    anonymous: AsyncClient, field: str
) -> None:
    form = {"username": "someone@example.org", "password": "a long enough passphrase"}
    form[field] = "x\x00y"
    response = await anonymous.post("/auth/token", data=form)
    assert_problem(response, 422, f"body.{field}")
