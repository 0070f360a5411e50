from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from tests.conftest import ClientFactory
from tests.planning.factories import (
    assign,
    days_from_today,
    focal_point_headers,
    institution_id,
    plan_action,
)
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


async def _ids(client: AsyncClient, **params: Any) -> set[str]:
    return {a["id"] for a in (await client.get("/actions", params=params)).json()["items"]}


async def test_overdue_means_past_due_and_still_open(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    late = await plan_action(client, [rec["id"]], due_date=days_from_today(-1))
    due_today = await plan_action(client, [rec["id"]], due_date=days_from_today(0))
    cancelled = await plan_action(
        client, [rec["id"]], due_date=days_from_today(-5), status="cancelled"
    )
    completed_late = await plan_action(client, [rec["id"]], due_date=days_from_today(-5))
    done = await client.patch(
        f"/actions/{completed_late['id']}",
        json={"status": "completed"},
        headers={"If-Match": '"1"'},
    )
    assert done.json()["overdue"] is False
    in_progress = await plan_action(client, [rec["id"]], due_date=days_from_today(-30),
                                    status="in_progress")  # fmt: skip
    undated = await plan_action(client, [rec["id"]])
    assert late["overdue"] is True
    assert due_today["overdue"] is False
    assert cancelled["overdue"] is False
    assert in_progress["overdue"] is True
    assert await _ids(client, overdue="true") == {late["id"], in_progress["id"]}
    assert await _ids(client, overdue="false") == {
        due_today["id"], cancelled["id"], completed_late["id"], undated["id"],
    }  # fmt: skip


async def test_filters_a_coordinator_needs(app: FastAPI, client: AsyncClient) -> None:
    one, two = await create_recommendation(client), await create_recommendation(client)
    justice = await institution_id(app)
    first = await plan_action(client, [one["id"]], institution_id=justice, due_date="2026-03-01")
    second = await plan_action(client, [two["id"]], due_date="2026-09-01", status="in_progress")
    cluster = (
        await client.post("/clusters", json={"name": "C", "recommendation_ids": [two["id"]]})
    ).json()
    assert await _ids(client, institution=justice) == {first["id"]}
    assert await _ids(client, status="in_progress") == {second["id"]}
    assert await _ids(client, status=["planned", "in_progress"]) == {first["id"], second["id"]}
    assert await _ids(client, due_before="2026-06-01") == {first["id"]}
    assert await _ids(client, due_after="2026-06-01") == {second["id"]}
    assert await _ids(client, recommendation=one["id"]) == {first["id"]}
    assert await _ids(client, cluster=cluster["id"]) == {second["id"]}
    assert_problem(await client.get("/actions", params={"status": "done"}), 422, "query.status")


async def test_a_focal_point_changes_only_the_status_of_its_own_actions(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec = await create_recommendation(client)
    justice, interior = await institution_id(app), await institution_id(app)
    own = await plan_action(client, [rec["id"]], institution_id=justice)
    focal = await make_client(headers=await focal_point_headers(app, justice))
    stranger = await make_client(headers=await focal_point_headers(app, interior))
    assert_problem(
        await focal.post("/actions", json={"title": "x", "recommendation_ids": [rec["id"]]}), 403
    )
    renamed = await focal.patch(
        f"/actions/{own['id']}", json={"title": "x"}, headers={"If-Match": '"1"'}
    )
    assert_problem(renamed, 403)
    refused = await stranger.patch(
        f"/actions/{own['id']}", json={"status": "in_progress"}, headers={"If-Match": '"1"'}
    )
    assert_problem(refused, 403)
    started = await focal.patch(
        f"/actions/{own['id']}", json={"status": "in_progress"}, headers={"If-Match": '"1"'}
    )
    assert started.status_code == 200, started.text
    # Being assigned to the recommendation is not enough: the action is Justice's (issue #14:
    # Justice's focal point completed Health's action and moved its public status).
    await assign(client, rec["id"], interior, "support")
    for unowned in (own, await plan_action(client, [rec["id"]])):
        moved = await stranger.patch(
            f"/actions/{unowned['id']}", json={"status": "completed"}, headers={"If-Match": "*"}
        )
        assert_problem(moved, 403)
    assert (await client.get(f"/recommendations/{rec['id']}")).json()["status"] == "in_progress"


async def test_unknown_recommendations_refuse_the_action(client: AsyncClient) -> None:
    response = await client.post(
        "/actions",
        json={"title": "x", "recommendation_ids": ["00000000-0000-0000-0000-000000000000"]},
    )
    assert_problem(response, 422, "body.recommendation_ids")
    assert (await client.get("/actions")).json()["items"] == []
