from typing import Any

from httpx import AsyncClient

from tests.problems import assert_problem


async def _create(client: AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"name": "Ministry of Justice", "kind": "ministry", **fields}
    response = await client.post("/institutions", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_create_read_and_list(client: AsyncClient, anonymous: AsyncClient) -> None:
    ministry = await _create(client, acronym="MoJ")
    prisons = await _create(client, name="Prison Service", kind="agency", parent_id=ministry["id"])
    assert prisons["parent_id"] == ministry["id"]
    fetched = await anonymous.get(f"/institutions/{ministry['id']}")
    assert fetched.status_code == 200
    assert fetched.headers["etag"] == '"1"'
    names = [i["name"] for i in (await anonymous.get("/institutions")).json()["items"]]
    assert names == ["Ministry of Justice", "Prison Service"]
    below = (await anonymous.get("/institutions", params={"parent_id": ministry["id"]})).json()
    assert [i["id"] for i in below["items"]] == [prisons["id"]]
    agencies = (await anonymous.get("/institutions", params={"kind": "agency"})).json()["items"]
    assert [i["name"] for i in agencies] == ["Prison Service"]
    by_acronym = (await anonymous.get("/institutions", params={"q": "moj"})).json()["items"]
    assert [i["id"] for i in by_acronym] == [ministry["id"]]
    assert (await anonymous.get("/institutions", params={"q": "100%"})).json()["items"] == []


async def test_bad_kinds_parents_and_loops_are_422(client: AsyncClient) -> None:
    assert_problem(
        await client.post("/institutions", json={"name": "X", "kind": "church"}), 422, "body.kind"
    )
    assert_problem(
        await client.post(
            "/institutions",
            json={
                "name": "X",
                "kind": "agency",
                "parent_id": "00000000-0000-0000-0000-000000000000",
            },
        ),
        422,
        "body.parent_id",
    )
    top = await _create(client)
    middle = await _create(client, name="Directorate", kind="agency", parent_id=top["id"])
    loop = await client.patch(
        f"/institutions/{top['id']}", json={"parent_id": middle["id"]}, headers={"If-Match": '"1"'}
    )
    assert_problem(loop, 422, "body.parent_id")
    itself = await client.patch(
        f"/institutions/{top['id']}", json={"parent_id": top["id"]}, headers={"If-Match": '"1"'}
    )
    assert_problem(itself, 422, "body.parent_id")


async def test_update_needs_if_match_and_archive_keeps_the_record(client: AsyncClient) -> None:
    ministry = await _create(client)
    assert_problem(await client.patch(f"/institutions/{ministry['id']}", json={"name": "Y"}), 428)
    renamed = await client.patch(
        f"/institutions/{ministry['id']}",
        json={"name": "Ministry of Justice and Human Rights"},
        headers={"If-Match": '"1"'},
    )
    assert renamed.status_code == 200
    assert renamed.headers["etag"] == '"2"'
    stale = await client.delete(f"/institutions/{ministry['id']}", headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    archived = await client.delete(f"/institutions/{ministry['id']}", headers={"If-Match": '"2"'})
    assert archived.status_code == 204
    assert (await client.get(f"/institutions/{ministry['id']}")).json()["archived"] is True
    assert (await client.get("/institutions")).json()["items"] == []
    listed = (await client.get("/institutions", params={"archived": "true"})).json()["items"]
    assert [i["id"] for i in listed] == [ministry["id"]]
