from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, ids_matching

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_a_cluster_groups_recommendations(client: AsyncClient, admin: AsyncClient) -> None:
    one, two, three = [await create_recommendation(client) for _ in range(3)]
    created = await client.post(
        "/clusters", json={"name": "Violence against children", "recommendation_ids": [one["id"]]}
    )
    assert created.status_code == 201, created.text
    cluster = created.json()
    assert cluster["recommendation_ids"] == [one["id"]]
    assert cluster["recommendations_count"] == 1
    added = await client.post(
        f"/clusters/{cluster['id']}/recommendations",
        json={"recommendation_ids": [two["id"], three["id"], one["id"]]},
    )
    assert added.json()["recommendations_count"] == 3
    removed = await client.request(
        "DELETE", f"/clusters/{cluster['id']}/recommendations",
        json={"recommendation_ids": [three["id"]]},
    )  # fmt: skip
    assert sorted(removed.json()["recommendation_ids"]) == sorted([one["id"], two["id"]])
    assert await ids_matching(client, cluster=cluster["id"]) == {one["id"], two["id"]}
    shown = (await client.get(f"/recommendations/{one['id']}")).json()["clusters"]
    assert shown == [{"id": cluster["id"], "name": "Violence against children"}]
    trail = (await admin.get("/audit", params={"entity_type": "cluster"})).json()["items"]
    assert [r["action"] for r in trail] == [
        "remove_recommendations", "add_recommendations", "add_recommendations", "create",
    ]  # fmt: skip


async def test_an_unknown_id_refuses_the_whole_change(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    cluster = (await client.post("/clusters", json={"name": "Justice"})).json()
    response = await client.post(
        f"/clusters/{cluster['id']}/recommendations",
        json={"recommendation_ids": [rec["id"], UNKNOWN]},
    )
    body = assert_problem(response, 422, "body.recommendation_ids")
    assert UNKNOWN in str(body["errors"])
    assert (await client.get(f"/clusters/{cluster['id']}")).json()["recommendation_ids"] == []
    assert_problem(await client.get("/recommendations", params={"cluster": UNKNOWN}), 422)


async def test_rename_and_archive_with_if_match(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    body = {"name": "Justice", "recommendation_ids": [rec["id"]]}
    cluster = (await client.post("/clusters", json=body)).json()
    etag = (await client.get(f"/clusters/{cluster['id']}")).headers["etag"]
    assert_problem(await client.patch(f"/clusters/{cluster['id']}", json={"name": "X"}), 428)
    renamed = await client.patch(
        f"/clusters/{cluster['id']}", json={"name": "Access to justice"}, headers={"If-Match": etag}
    )
    assert renamed.json()["name"] == "Access to justice"
    archived = await client.delete(
        f"/clusters/{cluster['id']}", headers={"If-Match": renamed.headers["etag"]}
    )
    assert archived.status_code == 204
    assert (await client.get("/clusters")).json()["items"] == []
    assert (await client.get(f"/recommendations/{rec['id']}")).json()["clusters"] == []
