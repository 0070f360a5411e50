"""Recommendation.sdg_goal_mask, which progress by SDG counts from, follows the goal links."""

from fastapi import FastAPI
from httpx import AsyncClient

from tests.recommendations.denormalized import stored_and_linked_masks as _masks
from tests.recommendations.factories import create_recommendation


async def _goal_counts(client: AsyncClient) -> dict[int, int]:
    body = (await client.get("/progress/sdgs")).json()
    return {row["goal"]: row["recommendations"] for row in body["goals"] if row["recommendations"]}


async def test_mask_follows_goals_and_targets_set_through_the_api(
    app: FastAPI, client: AsyncClient
) -> None:
    by_goal = await create_recommendation(client, sdg_goals=[4, 17])
    by_target = await create_recommendation(client, sdg_targets=["16.2"])
    untagged = await create_recommendation(client)
    masks = await _masks(app)
    assert masks[by_goal["id"]] == (2**3 + 2**16, 2**3 + 2**16)
    assert masks[by_target["id"]] == (2**15, 2**15)
    assert masks[untagged["id"]] == (0, 0)
    assert await _goal_counts(client) == {4: 1, 16: 1, 17: 1}

    retagged = await client.patch(
        f"/recommendations/{by_goal['id']}", json={"sdg_goals": [1], "sdg_targets": ["5.2"]},
        headers={"If-Match": f'"{by_goal["version"]}"'},
    )  # fmt: skip
    assert retagged.status_code == 200, retagged.text
    assert (await _masks(app))[by_goal["id"]] == (2**0 + 2**4, 2**0 + 2**4)
    assert await _goal_counts(client) == {1: 1, 5: 1, 16: 1}
