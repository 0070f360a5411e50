"""Who may write measurements (DESIGN §6), which dates they may carry (§7), and corrections."""

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.clock import use_timezone
from app.main import create_app
from app.models.user import Role
from tests.accounts import bearer, make_user
from tests.conftest import ClientFactory
from tests.indicators.factories import create_indicator, measure
from tests.planning.factories import assign, focal_point_headers, institution_id, plan_action
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


async def test_a_focal_point_measures_only_where_assigned_to_every_recommendation(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    justice, health = await institution_id(app), await institution_id(app)
    shared, healths = await create_recommendation(client), await create_recommendation(client)
    await assign(client, shared["id"], justice)
    await assign(client, shared["id"], health, "support")
    await assign(client, healths["id"], health)
    focal = await make_client(headers=await focal_point_headers(app, justice))
    # Issue #14: assigned to one of two recommendations, Justice measured Health's indicator.
    both = await create_indicator(client, recommendation_ids=[shared["id"], healths["id"]])
    assert_problem(await measure(focal, both, "2025-01-01", 9999), 403)
    # Through an action: the action's recommendations count as the indicator's.
    action = await plan_action(client, [healths["id"]], institution_id=health)
    through_action = await create_indicator(
        client, recommendation_ids=[shared["id"]], action_ids=[action["id"]]
    )
    assert_problem(await measure(focal, through_action, "2025-01-01", 1), 403)
    # Measuring nothing in particular is the coordinators' to record.
    assert_problem(await measure(focal, await create_indicator(client), "2025-01-01", 1), 403)
    own = await create_indicator(client, recommendation_ids=[shared["id"]])
    assert (await measure(focal, own, "2025-01-01", 5)).status_code == 201
    assert (await client.get(f"/indicators/{both['id']}")).json()["latest_value"] is None


async def test_future_dates_are_refused(client: AsyncClient) -> None:
    indicator = await create_indicator(client)
    today = dt.datetime.now(dt.UTC).date()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert_problem(await measure(client, indicator, "9999-12-31", 1), 422, "body.date")
    if dt.datetime.now(dt.UTC).hour < 23:  # tomorrow in UTC is tomorrow for UTC's NMRF too
        assert_problem(await measure(client, indicator, tomorrow, 1), 422, "body.date")
    assert (await measure(client, indicator, today.isoformat(), 1)).status_code == 201


@pytest.fixture
async def zoned_app(database_url: str, app: FastAPI) -> AsyncIterator[tuple[FastAPI, str]]:
    """An app whose NMRF lives where the date differs from UTC's right now."""
    zone = "Pacific/Kiritimati" if dt.datetime.now(dt.UTC).hour >= 10 else "Pacific/Pago_Pago"
    zoned = create_app(app.state.settings.model_copy(update={"timezone": zone}))
    yield zoned, zone
    await zoned.state.engine.dispose()
    use_timezone("UTC")


async def test_today_is_the_date_in_the_nmrf_time_zone(zoned_app: tuple[FastAPI, str]) -> None:
    zoned, zone = zoned_app
    headers = bearer(zoned, await make_user(zoned, Role.coordinator))
    transport = ASGITransport(app=zoned)
    async with AsyncClient(transport=transport, base_url="http://t/api/v1", headers=headers) as c:
        indicator = await create_indicator(c)
        there = dt.datetime.now(ZoneInfo(zone)).date()
        assert there != dt.datetime.now(dt.UTC).date()
        assert (await measure(c, indicator, there.isoformat(), 1)).status_code == 201
        later = (there + dt.timedelta(days=1)).isoformat()
        assert_problem(await measure(c, indicator, later, 1), 422, "body.date")


async def test_coordinators_correct_and_delete_measurements_audited(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    justice = await institution_id(app)
    rec = await create_recommendation(client)
    await assign(client, rec["id"], justice)
    indicator = await create_indicator(client, recommendation_ids=[rec["id"]])
    focal = await make_client(headers=await focal_point_headers(app, justice))
    created = await measure(focal, indicator, "2025-01-01", 50)
    assert created.status_code == 201
    url = created.headers["location"]
    assert created.headers["etag"] == '"1"'
    assert_problem(await focal.patch(url, json={"value": 5}, headers={"If-Match": '"1"'}), 403)
    assert_problem(await client.patch(url, json={"value": 5}), 428)
    assert_problem(await client.patch(url, json={"value": 5}, headers={"If-Match": '"7"'}), 412)
    future = await client.patch(url, json={"date": "9999-12-31"}, headers={"If-Match": '"1"'})
    assert_problem(future, 422, "body.date")
    corrected = await client.patch(url, json={"value": 5}, headers={"If-Match": '"1"'})
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["value"] == 5
    assert corrected.headers["etag"] == '"2"'
    assert (await client.get(f"/indicators/{indicator['id']}")).json()["latest_value"] == 5
    assert_problem(await focal.delete(url, headers={"If-Match": '"2"'}), 403)
    assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert_problem(await client.get(url), 404)
    assert (await client.get(f"/indicators/{indicator['id']}")).json()["latest_value"] is None
    measurement_id = url.rsplit("/", 1)[1]
    trail = (
        await client.get(
            "/audit", params={"entity_type": "measurement", "entity_id": measurement_id}
        )
    ).json()["items"]
    assert [(r["action"], r["changes"]) for r in trail] == [
        ("delete", {"date": {"before": "2025-01-01", "after": None},
                    "indicator_id": {"before": indicator["id"], "after": None},
                    "value": {"before": 5.0, "after": None}}),
        ("update", {"value": {"before": 50.0, "after": 5.0}}),
    ]  # fmt: skip
