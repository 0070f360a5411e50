from typing import Any

from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


async def _patch(
    client: AsyncClient, rec: dict[str, Any], body: dict[str, Any], etag: str | None = None
) -> Any:
    headers = {"If-Match": etag if etag is not None else f'"{rec["version"]}"'}
    return await client.patch(f"/recommendations/{rec['id']}", json=body, headers=headers)


async def test_patch_changes_only_what_is_sent_and_moves_the_etag(client: AsyncClient) -> None:
    rec = await create_recommendation(
        client, text={"en": "Adopt a law", "fr": "Adopter une loi"}, sdg_targets=["4.1"]
    )
    response = await _patch(
        client,
        rec,
        {"priority": "medium", "text": {"es": "Adoptar una ley", "fr": None}, "sdg_goals": [10]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["etag"] == '"2"'
    assert body["version"] == 2
    assert body["priority"] == "medium"
    assert body["text"] == {"en": "Adopt a law", "es": "Adoptar una ley"}
    assert body["sdg_goals"] == [4, 10]
    assert body["sdg_targets"] == ["4.1"]
    assert body["symbol"] == rec["symbol"]
    assert body["updated_at"] > rec["updated_at"]


async def test_patch_replaces_tag_lists(client: AsyncClient) -> None:
    rec = await create_recommendation(client, countries=["KEN", "UGA"], sdg_targets=["4.1"])
    body = (await _patch(client, rec, {"countries": ["TZA"], "sdg_targets": []})).json()
    assert body["countries"] == ["TZA"]
    assert body["sdg_targets"] == []
    assert body["sdg_goals"] == []


async def test_patch_without_if_match_is_428(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    response = await client.patch(f"/recommendations/{rec['id']}", json={"priority": "low"})
    assert_problem(response, 428)
    unchanged = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert unchanged["priority"] is None


async def test_patch_with_a_stale_etag_is_412_and_changes_nothing(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    assert (await _patch(client, rec, {"priority": "low"})).status_code == 200
    stale = await _patch(client, rec, {"priority": "high"})
    assert_problem(stale, 412)
    current = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert current["priority"] == "low"
    assert current["version"] == 2


async def test_if_match_star_and_lists_are_honoured(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    assert (await _patch(client, rec, {"priority": "low"}, etag="*")).status_code == 200
    listed = await _patch(client, rec, {"priority": "high"}, etag='"9", "2"')
    assert listed.status_code == 200


async def test_status_is_derived_and_cannot_be_written(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    response = await _patch(client, rec, {"status": "implemented"})
    assert_problem(response, 422, "body.status")


async def test_required_fields_cannot_be_nulled(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    assert_problem(await _patch(client, rec, {"symbol": None}), 422)
    assert_problem(await _patch(client, rec, {"text": {"en": None}}), 422, "body.text")


async def test_delete_archives_and_the_record_stays_readable(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    without = await client.delete(f"/recommendations/{rec['id']}")
    assert_problem(without, 428)
    response = await client.delete(
        f"/recommendations/{rec['id']}", headers={"If-Match": f'"{rec["version"]}"'}
    )
    assert response.status_code == 204
    assert response.content == b""
    fetched = await client.get(f"/recommendations/{rec['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["archived"] is True
    active = (await client.get("/recommendations")).json()["items"]
    archived = (await client.get("/recommendations", params={"archived": "true"})).json()["items"]
    assert active == []
    assert [r["id"] for r in archived] == [rec["id"]]
    stale = await client.delete(
        f"/recommendations/{rec['id']}", headers={"If-Match": f'"{rec["version"]}"'}
    )
    assert_problem(stale, 412)


async def test_archived_recommendation_can_be_restored(client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    await client.delete(f"/recommendations/{rec['id']}", headers={"If-Match": '"1"'})
    restored = await _patch(client, rec, {"archived": False}, etag='"2"')
    assert restored.status_code == 200
    assert restored.json()["archived"] is False


async def test_changing_mechanism_away_from_upr_needs_the_upr_details_cleared(
    client: AsyncClient,
) -> None:
    rec = await create_recommendation(
        client, mechanism="UPR", upr={"position": "noted", "recommending_states": ["Chile"]}
    )
    assert_problem(await _patch(client, rec, {"mechanism": "CAT"}), 422, "body.upr")
    moved = await _patch(client, rec, {"mechanism": "CAT", "upr": None})
    assert moved.status_code == 200, moved.text
    assert moved.json()["upr"]["position"] is None
    assert moved.json()["upr"]["recommending_states"] == []
