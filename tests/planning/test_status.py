"""The four rules of a recommendation's derived status (DESIGN §4), each change re-deriving it."""

from fastapi import FastAPI
from httpx import AsyncClient

from tests.planning.factories import (
    assign,
    institution_id,
    plan_action,
    status_of,
    validated,
)
from tests.recommendations.factories import create_recommendation, ids_matching


async def test_rule_4_nothing_yet_is_not_started(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    assert rec["status"] == "not_started"


async def test_rule_3_an_assignment_or_a_live_action_is_planned(
    app: FastAPI, client: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    assignment = await assign(client, rec["id"], await institution_id(app))
    assert await status_of(client, rec["id"]) == "planned"
    withdrawn = await client.delete(
        f"/assignments/{assignment['id']}", headers={"If-Match": f'"{assignment["version"]}"'}
    )
    assert withdrawn.status_code == 204
    assert await status_of(client, rec["id"]) == "not_started"

    action = await plan_action(client, [rec["id"]])
    assert await status_of(client, rec["id"]) == "planned"
    cancel = await client.patch(
        f"/actions/{action['id']}", json={"status": "cancelled"}, headers={"If-Match": '"1"'}
    )
    assert cancel.status_code == 200
    assert await status_of(client, rec["id"]) == "not_started"


async def test_rule_2_an_action_under_way_or_done_is_in_progress(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    other = await create_recommendation(client)
    action = await plan_action(client, [rec["id"], other["id"]])
    started = await client.patch(
        f"/actions/{action['id']}", json={"status": "in_progress"}, headers={"If-Match": '"1"'}
    )
    assert started.status_code == 200
    assert await status_of(client, rec["id"]) == "in_progress"
    assert await status_of(client, other["id"]) == "in_progress"
    done = await client.patch(
        f"/actions/{action['id']}", json={"status": "completed"}, headers={"If-Match": '"2"'}
    )
    assert done.json()["completed_at"] is not None
    assert await status_of(client, rec["id"]) == "in_progress"
    # Unlinking a recommendation re-derives its status too.
    unlinked = await client.patch(
        f"/actions/{action['id']}", json={"recommendation_ids": [rec["id"]]},
        headers={"If-Match": '"3"'},
    )  # fmt: skip
    assert unlinked.status_code == 200
    assert await status_of(client, other["id"]) == "not_started"


async def test_rule_1_the_latest_validated_assessment_wins(
    app: FastAPI, client: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    action = await plan_action(client, [rec["id"]], status="in_progress")
    assert action["status"] == "in_progress"
    await validated(client, rec["id"], "partially_implemented")
    assert await status_of(client, rec["id"]) == "partially_implemented"
    await validated(client, rec["id"], "implemented")
    assert await status_of(client, rec["id"]) == "implemented"
    # Even "not started" as the latest validated assessment beats the action under way.
    await validated(client, rec["id"], "not_started")
    assert await status_of(client, rec["id"]) == "not_started"


async def test_status_filters_and_sorts_the_list(app: FastAPI, client: AsyncClient) -> None:
    idle = await create_recommendation(client)
    planned = await create_recommendation(client)
    done = await create_recommendation(client)
    await assign(client, planned["id"], await institution_id(app))
    await validated(client, done["id"], "implemented")
    assert await ids_matching(client, status="planned") == {planned["id"]}
    assert await ids_matching(client, status=["implemented", "not_started"]) == {
        idle["id"], done["id"],
    }  # fmt: skip
    ordered = (await client.get("/recommendations", params={"sort": "-status"})).json()["items"]
    assert [r["id"] for r in ordered] == [done["id"], planned["id"], idle["id"]]


async def test_status_does_not_move_the_etag(app: FastAPI, client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    await assign(client, rec["id"], await institution_id(app))
    fetched = await client.get(f"/recommendations/{rec['id']}")
    assert fetched.json()["status"] == "planned"
    assert fetched.headers["etag"] == '"1"'
    still_valid = await client.patch(
        f"/recommendations/{rec['id']}", json={"priority": "high"}, headers={"If-Match": '"1"'}
    )
    assert still_valid.status_code == 200
