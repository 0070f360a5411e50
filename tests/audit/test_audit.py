"""Every kind of write leaves an audit record with the actor and the fields before and after."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.accounts import PASSWORD
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


async def _trail(admin: AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await admin.get("/audit", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_recommendation_create_update_archive_are_recorded(
    client: AsyncClient, admin: AsyncClient
) -> None:
    rec = await create_recommendation(client, priority="low", countries=["KEN"])
    await client.patch(
        f"/recommendations/{rec['id']}",
        json={"priority": "high", "countries": ["KEN", "UGA"]},
        headers={"If-Match": '"1"'},
    )
    await client.delete(f"/recommendations/{rec['id']}", headers={"If-Match": '"2"'})
    records = await _trail(admin, entity_type="recommendation", entity_id=rec["id"])
    assert [r["action"] for r in records] == ["archive", "update", "create"]
    archive, update, create = records
    assert create["changes"]["priority"] == {"before": None, "after": "low"}
    assert create["changes"]["mechanism"] == {"before": None, "after": "CRC"}
    assert update["changes"] == {
        "priority": {"before": "low", "after": "high"},
        "countries": {"before": ["KEN"], "after": ["KEN", "UGA"]},
    }
    assert archive["changes"] == {"archived": {"before": False, "after": True}}
    me = (await client.get("/users/me")).json()
    assert {r["actor"]["user_id"] for r in records} == {me["id"]}
    assert {r["actor"]["label"] for r in records} == {me["email"]}


async def test_history_of_one_recommendation(
    client: AsyncClient, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    other = await create_recommendation(client)
    await client.patch(
        f"/recommendations/{rec['id']}", json={"priority": "medium"}, headers={"If-Match": '"1"'}
    )
    viewer = await make_client(Role.viewer)
    history = (await viewer.get(f"/recommendations/{rec['id']}/history")).json()["items"]
    assert [h["action"] for h in history] == ["update", "create"]
    assert all(h["entity_id"] == rec["id"] for h in history)
    assert other["id"] not in {h["entity_id"] for h in history}
    assert_problem(await anonymous.get(f"/recommendations/{rec['id']}/history"), 401)


async def test_institution_user_and_token_writes_are_recorded(
    app: FastAPI, admin: AsyncClient
) -> None:
    made = await admin.post("/institutions", json={"name": "MoH", "kind": "ministry"})
    institution_id = made.json()["id"]
    await admin.patch(
        f"/institutions/{institution_id}", json={"acronym": "MoH"}, headers={"If-Match": '"1"'}
    )
    user = await admin.post(
        "/users",
        json={"email": "v@example.org", "name": "V", "password": PASSWORD, "role": "viewer"},
    )
    await admin.patch(
        f"/users/{user.json()['id']}", json={"role": "coordinator"}, headers={"If-Match": '"1"'}
    )
    token = await admin.post("/api-tokens", json={"name": "integration", "scope": "read"})
    await admin.delete(f"/api-tokens/{token.json()['id']}")

    institution_log = await _trail(admin, entity_type="institution")
    assert [r["action"] for r in institution_log] == ["update", "create"]
    assert institution_log[0]["changes"] == {"acronym": {"before": None, "after": "MoH"}}
    user_log = await _trail(admin, entity_type="user", entity_id=user.json()["id"])
    assert [r["action"] for r in user_log] == ["update", "create"]
    assert user_log[0]["changes"] == {"role": {"before": "viewer", "after": "coordinator"}}
    assert "password" not in str(user_log)
    assert PASSWORD not in str(user_log)
    token_log = await _trail(admin, entity_type="api_token")
    assert [r["action"] for r in token_log] == ["revoke", "create"]
    assert token.json()["token"] not in str(token_log)


async def test_a_failed_write_leaves_no_record(client: AsyncClient, admin: AsyncClient) -> None:
    response = await client.post("/recommendations", json={"symbol": "A/1"})
    assert response.status_code == 422
    assert await _trail(admin, entity_type="recommendation") == []


async def test_audit_is_for_admins_and_coordinators_with_filters_and_paging(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    for _ in range(5):
        await create_recommendation(client)
    viewer = await make_client(Role.viewer)
    assert_problem(await viewer.get("/audit"), 403)
    first = (await client.get("/audit", params={"limit": 2, "action": "create"})).json()
    second = (await client.get("/audit", params={"limit": 2, "cursor": first["next_cursor"],
                                                 "action": "create"})).json()  # fmt: skip
    ids = [r["id"] for r in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4
    actor = (await client.get("/users/me")).json()["id"]
    mine = await client.get("/audit", params={"actor_id": actor, "include_total": "true"})
    assert mine.json()["total"] == 5
    assert_problem(await client.get("/audit", params={"since": "2026-01-01T00:00:00"}), 422)
    later = await client.get("/audit", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json()["items"] == []
