"""The SDG tally (kept by triggers) follows every change to what it counts, and the
corpus-wide figures it answers equal the figures counted from the recommendations."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from app.models.sdg_tally import SdgGoalTally
from app.progress.tally import recount_tally
from tests.planning.factories import assign, institution_id, plan_action, status_of, validated
from tests.recommendations.denormalized import tally_beside_recount
from tests.recommendations.factories import create_recommendation

# A filter that keeps every recommendation but sends the figures down the counting path.
EVERYTHING = {"published_from": "1900-01-01"}


async def _patch(client: AsyncClient, rec: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await client.patch(
        f"/recommendations/{rec['id']}", json=fields, headers={"If-Match": f'"{rec["version"]}"'}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _assert_tally_right(app: FastAPI, client: AsyncClient) -> dict[str, Any]:
    tally, recount = await tally_beside_recount(app)
    assert tally == recount
    tallied = (await client.get("/progress/sdgs")).json()
    counted = (await client.get("/progress/sdgs", params=EVERYTHING)).json()
    assert tallied == counted
    return dict(tallied)


async def test_tally_follows_tags_positions_archiving_and_status(
    app: FastAPI, client: AsyncClient
) -> None:
    assert (await _assert_tally_right(app, client))["total"] == 0
    by_goal = await create_recommendation(client, sdg_goals=[4, 17])
    by_target = await create_recommendation(
        client, mechanism="UPR", sdg_targets=["16.2"], upr={"position": "noted"}
    )
    await create_recommendation(client)  # no goal: never tallied
    body = await _assert_tally_right(app, client)
    assert body["total"] == 2

    by_goal = await _patch(client, by_goal, sdg_goals=[1], sdg_targets=["5.2"])
    by_target = await _patch(client, by_target, upr={"position": "supported"})
    await _assert_tally_right(app, client)

    by_goal = await _patch(client, by_goal, archived=True)
    assert (await _assert_tally_right(app, client))["total"] == 1
    by_goal = await _patch(client, by_goal, archived=False)
    await _assert_tally_right(app, client)

    await assign(client, by_goal["id"], await institution_id(app, "Ministry of Justice"))
    await plan_action(client, [by_target["id"]], status="in_progress")
    await validated(client, by_goal["id"], "implemented")
    assert await status_of(client, by_goal["id"]) == "implemented"
    body = await _assert_tally_right(app, client)
    assert body["by_status"]["implemented"] == 1
    assert body["by_status"]["in_progress"] == 1


async def test_corpus_wide_figures_come_from_the_tally(app: FastAPI, client: AsyncClient) -> None:
    """Proof that the unfiltered figures read the tally (so that the test above compares two
    paths): a tally changed behind the triggers' back shows, and filtered figures ignore it."""
    await create_recommendation(client, sdg_goals=[3])
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(SdgGoalTally).where(SdgGoalTally.goal == 3).values(recommendations=41)
        )
    tallied = (await client.get("/progress/sdgs")).json()
    counted = (await client.get("/progress/sdgs", params=EVERYTHING)).json()
    assert tallied["goals"][2]["recommendations"] == 41
    assert counted["goals"][2]["recommendations"] == 1
    assert tallied["total"] == counted["total"] == 1


async def test_recount_repairs_a_tally_that_was_bypassed(app: FastAPI, client: AsyncClient) -> None:
    await create_recommendation(client, sdg_goals=[3], sdg_targets=["5.2"])
    await create_recommendation(client, mechanism="UPR", sdg_goals=[3], upr={"position": "noted"})
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(SdgGoalTally).values(recommendations=7))
    tally, recount = await tally_beside_recount(app)
    assert tally != recount
    async with app.state.sessionmaker() as session, session.begin():
        assert await recount_tally(session) == len(recount)
    await _assert_tally_right(app, client)
