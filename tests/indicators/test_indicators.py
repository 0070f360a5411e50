import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.conftest import ClientFactory
from tests.indicators.factories import create_indicator, measure
from tests.planning.factories import assign, focal_point_headers, institution_id, plan_action
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


@pytest.mark.parametrize(
    ("baseline", "target", "values", "latest", "progress"),
    [
        (10, 20, [("2024-01-01", 12), ("2025-01-01", 15)], 15, 0.5),  # increasing
        (50, 10, [("2025-01-01", 30)], 30, 0.5),  # decreasing
        (40, 40, [("2025-01-01", 45)], 45, None),  # target equal to baseline
        (10, 20, [], None, None),  # nothing measured
        (10, 20, [("2025-01-01", 26)], 26, 1.0),  # past the target: clamped
        (10, 20, [("2025-01-01", 4)], 4, 0.0),  # worse than the baseline: clamped
        # The latest date counts, not the latest recorded.
        (0, 100, [("2025-06-01", 75), ("2024-01-01", 10)], 75, 0.75),
        (None, 20, [("2025-01-01", 5)], 5, None),  # no baseline
    ],
)
async def test_latest_value_and_progress(
    client: AsyncClient,
    baseline: float | None,
    target: float,
    values: list[tuple[str, float]],
    latest: float | None,
    progress: float | None,
) -> None:
    indicator = await create_indicator(client, baseline=baseline, target=target, unit="%")
    for date, value in values:
        assert (await measure(client, indicator, date, value)).status_code == 201
    read = (await client.get(f"/indicators/{indicator['id']}")).json()
    assert read["latest_value"] == latest
    assert read["progress"] == progress
    listed = (await client.get("/indicators")).json()["items"]
    assert listed[0]["progress"] == progress
    measurements = (await client.get(f"/indicators/{indicator['id']}/measurements")).json()
    assert [m["date"] for m in measurements["items"]] == sorted(d for d, _ in values)


async def test_links_and_bad_input(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    action = await plan_action(client, [rec["id"]])
    indicator = await create_indicator(
        client, recommendation_ids=[rec["id"]], action_ids=[action["id"]], sdg_indicator="16.9.1",
        direction="increase",
    )  # fmt: skip
    assert indicator["recommendation_ids"] == [rec["id"]]
    assert indicator["action_ids"] == [action["id"]]
    filtered = (await client.get("/indicators", params={"recommendation": rec["id"]})).json()
    assert [i["id"] for i in filtered["items"]] == [indicator["id"]]
    assert_problem(await client.post("/indicators", json={"name": "x", "sdg_indicator": "16"}), 422)
    assert_problem(
        await client.post("/indicators", json={"name": "x", "action_ids": [rec["id"]]}),
        422, "body.action_ids",
    )  # fmt: skip
    assert_problem(await measure(client, indicator, "2025-13-01", 1), 422)
    nan = await client.post(
        f"/indicators/{indicator['id']}/measurements",
        content=b'{"date": "2025-01-01", "value": NaN}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    # Python's parser reads NaN as a number, which the schema refuses; nothing was recorded.
    assert_problem(nan, 422, "body.value")
    measured = (await client.get(f"/indicators/{indicator['id']}/measurements")).json()
    assert measured["items"] == []
    assert (await client.get(f"/indicators/{indicator['id']}")).json()["latest_value"] is None


async def test_focal_points_measure_where_assigned(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec = await create_recommendation(client)
    justice, interior = await institution_id(app), await institution_id(app)
    await assign(client, rec["id"], justice)
    indicator = await create_indicator(
        client, recommendation_ids=[rec["id"]], baseline=0, target=10
    )
    focal = await make_client(headers=await focal_point_headers(app, justice))
    stranger = await make_client(headers=await focal_point_headers(app, interior))
    measured = await measure(focal, indicator, "2025-01-01", 5)
    assert measured.status_code == 201, measured.text
    me = (await focal.get("/users/me")).json()
    assert (measured.json()["date"], measured.json()["value"]) == ("2025-01-01", 5)
    assert measured.json()["created_by_id"] == me["id"]
    assert_problem(await measure(stranger, indicator, "2025-02-01", 6), 403)
    assert_problem(await focal.post("/indicators", json={"name": "mine"}), 403)
    read = (await client.get(f"/indicators/{indicator['id']}")).json()
    assert (read["latest_value"], read["progress"]) == (5, 0.5)  # the stranger's 6 is not there


async def test_change_an_indicator_with_if_match(client: AsyncClient) -> None:
    first, second = await create_recommendation(client), await create_recommendation(client)
    indicator = await create_indicator(
        client, baseline=10, target=20, unit="%", recommendation_ids=[first["id"]]
    )
    assert (await measure(client, indicator, "2025-01-01", 15)).status_code == 201
    path = f"/indicators/{indicator['id']}"
    assert_problem(await client.patch(path, json={"target": 30}), 428)
    changed = await client.patch(
        path,
        json={"name": "Births registered within a year (%)", "target": 30, "unit": None,
              "recommendation_ids": [second["id"]], "sdg_indicator": "16.9.1"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"'
    body = changed.json()
    assert body["name"] == "Births registered within a year (%)"
    assert (body["target"], body["unit"], body["sdg_indicator"]) == (30, None, "16.9.1")
    assert body["recommendation_ids"] == [second["id"]]
    assert (body["latest_value"], body["progress"]) == (15, 0.25)  # (15 - 10) / (30 - 10)
    assert (await client.get(path)).json() == body
    by_first = (await client.get("/indicators", params={"recommendation": first["id"]})).json()
    assert by_first["items"] == []
    assert_problem(await client.patch(path, json={"target": 40}, headers={"If-Match": '"1"'}), 412)
    for bad, field in [
        ({"name": None}, "body.name"),
        ({"recommendation_ids": ["00000000-0000-4000-8000-000000000000"]},
         "body.recommendation_ids"),
        ({"baseline": "10"}, "body.baseline"),
    ]:  # fmt: skip
        assert_problem(await client.patch(path, json=bad, headers={"If-Match": '"2"'}), 422, field)
    assert (await client.get(path)).json() == body
