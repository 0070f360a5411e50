from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, ids_matching


async def test_priority_on_many_in_one_transaction(client: AsyncClient, admin: AsyncClient) -> None:
    recs = [await create_recommendation(client) for _ in range(3)]
    ids = [r["id"] for r in recs]
    result = await client.post(
        "/recommendations/bulk-update", json={"ids": ids, "priority": "high"}
    )
    assert result.json() == {"updated": 3}
    assert await ids_matching(client, priority="high") == set(ids)
    unknown = "00000000-0000-0000-0000-000000000000"
    refused = await client.post(
        "/recommendations/bulk-update", json={"ids": [ids[0], unknown], "priority": "low"}
    )
    body = assert_problem(refused, 422, "body.ids")
    assert unknown in str(body["errors"])
    assert await ids_matching(client, priority="high") == set(ids)
    trail = (await admin.get("/audit", params={"entity_id": ids[0]})).json()["items"]
    assert trail[0]["changes"] == {"priority": {"before": None, "after": "high"}}
    cleared = await client.post("/recommendations/bulk-update", json={"ids": ids, "priority": None})
    assert cleared.json() == {"updated": 3}
    assert_problem(await client.post("/recommendations/bulk-update", json={"ids": []}), 422)
