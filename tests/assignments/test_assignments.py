import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.accounts import make_user
from tests.planning.factories import assign, institution_id, status_of
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, ids_matching

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def test_lead_and_supporting_institutions(app: FastAPI, client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    justice, interior = await institution_id(app, "Justice"), await institution_id(app, "Interior")
    focal = await make_user(app, Role.focal_point, institution_id=uuid.UUID(justice))
    lead = await assign(client, rec["id"], justice, "lead", focal_point_id=str(focal.id),
                        start_date="2025-01-01", due_date="2026-06-30")  # fmt: skip
    assert lead["focal_point_id"] == str(focal.id)
    second_lead = await client.post(
        "/assignments",
        json={"recommendation_id": rec["id"], "institution_id": interior, "role": "lead"},
    )
    assert_problem(second_lead, 409)
    await assign(client, rec["id"], interior, "support")
    again = await client.post(
        "/assignments",
        json={"recommendation_id": rec["id"], "institution_id": interior, "role": "support"},
    )
    assert_problem(again, 409)
    listed = (await client.get(f"/recommendations/{rec['id']}/assignments")).json()["items"]
    assert {(a["institution_id"], a["role"]) for a in listed} == {
        (justice, "lead"), (interior, "support"),
    }  # fmt: skip
    assert await ids_matching(client, institution=interior) == {rec["id"]}
    assert_problem(await client.get("/recommendations", params={"institution": UNKNOWN}), 422)


async def test_bad_assignments_are_422(app: FastAPI, client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    justice, interior = await institution_id(app), await institution_id(app)
    other_focal = await make_user(app, Role.focal_point, institution_id=uuid.UUID(interior))
    for body, field in [
        ({"recommendation_id": UNKNOWN, "institution_id": justice}, "body.recommendation_id"),
        ({"recommendation_id": rec["id"], "institution_id": UNKNOWN}, "body.institution_id"),
        ({"recommendation_id": rec["id"], "institution_id": justice,
          "focal_point_id": str(other_focal.id)}, "body.focal_point_id"),
        ({"recommendation_id": rec["id"], "institution_id": justice,
          "start_date": "2026-01-02", "due_date": "2026-01-01"}, "body"),
        ({"recommendation_id": rec["id"], "institution_id": justice, "role": "boss"}, "body.role"),
    ]:  # fmt: skip
        assert_problem(await client.post("/assignments", json=body), 422, field)
    assert await status_of(client, rec["id"]) == "not_started"


async def test_change_with_if_match(app: FastAPI, client: AsyncClient) -> None:
    rec = await create_recommendation(client)
    assignment = await assign(client, rec["id"], await institution_id(app), "support")
    changed = await client.patch(
        f"/assignments/{assignment['id']}", json={"role": "lead", "due_date": "2027-01-01"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["role"] == "lead"
    stale = await client.patch(
        f"/assignments/{assignment['id']}", json={"role": "support"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)


async def test_bulk_assignment_is_one_transaction(
    app: FastAPI, client: AsyncClient, admin: AsyncClient
) -> None:
    recs = [await create_recommendation(client) for _ in range(4)]
    ids = [r["id"] for r in recs]
    justice = await institution_id(app)
    result = await client.post(
        "/assignments/bulk",
        json={"recommendation_ids": ids, "institution_id": justice, "role": "lead",
              "due_date": "2026-12-31"},
    )  # fmt: skip
    assert result.status_code == 200, result.text
    assert result.json()["created"] == 4
    assert len(result.json()["assignment_ids"]) == 4
    assert {await status_of(client, i) for i in ids} == {"planned"}
    again = await client.post(
        "/assignments/bulk",
        json={"recommendation_ids": ids[:2], "institution_id": justice, "role": "support"},
    )
    assert again.json() == {**again.json(), "created": 0, "updated": 2}
    fresh = await create_recommendation(client)
    refused = await client.post(
        "/assignments/bulk",
        json={"recommendation_ids": [fresh["id"], UNKNOWN], "institution_id": justice},
    )
    body = assert_problem(refused, 422, "body.recommendation_ids")
    assert UNKNOWN in str(body["errors"])
    assert (await client.get(f"/recommendations/{fresh['id']}/assignments")).json()["items"] == []
    interior = await institution_id(app)
    conflict = await client.post(
        "/assignments/bulk",
        json={"recommendation_ids": [fresh["id"], ids[3]], "institution_id": interior,
              "role": "lead"},
    )  # fmt: skip
    assert_problem(conflict, 409)
    assert (await client.get(f"/recommendations/{fresh['id']}/assignments")).json()["items"] == []
    trail = (await admin.get("/audit", params={"action": "bulk_assign"})).json()["items"]
    assert len(trail) == 2


async def _archived_institution(app: FastAPI, client: AsyncClient) -> str:
    archived = await institution_id(app, "Ministry of Former Affairs")
    gone = await client.delete(f"/institutions/{archived}", headers={"If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    assert (await client.get(f"/institutions/{archived}")).json()["archived"] is True
    return archived


async def test_archived_institutions_take_no_new_assignments(
    app: FastAPI, client: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    archived = await _archived_institution(app, client)
    single = await client.post(
        "/assignments", json={"recommendation_id": rec["id"], "institution_id": archived}
    )
    assert_problem(single, 422, "body.institution_id")
    bulk = await client.post(
        "/assignments/bulk", json={"recommendation_ids": [rec["id"]], "institution_id": archived}
    )
    assert_problem(bulk, 422, "body.institution_id")
    assert (await client.get("/assignments")).json()["items"] == []
    assert await status_of(client, rec["id"]) == "not_started"


async def _ids(client: AsyncClient, **params: str) -> set[str]:
    response = await client.get("/assignments", params=params)
    assert response.status_code == 200, response.text
    return {a["id"] for a in response.json()["items"]}


async def test_list_filters(app: FastAPI, client: AsyncClient) -> None:
    first, second = await create_recommendation(client), await create_recommendation(client)
    justice, interior = await institution_id(app), await institution_id(app)
    focal = await make_user(app, Role.focal_point, institution_id=uuid.UUID(justice))
    a = await assign(client, first["id"], justice, "lead", focal_point_id=str(focal.id),
                     due_date="2026-03-31")  # fmt: skip
    b = await assign(client, second["id"], justice, "support", due_date="2026-06-30")
    c = await assign(client, first["id"], interior, "support")
    assert await _ids(client) == {a["id"], b["id"], c["id"]}
    assert await _ids(client, recommendation_id=first["id"]) == {a["id"], c["id"]}
    assert await _ids(client, institution_id=justice) == {a["id"], b["id"]}
    assert await _ids(client, focal_point_id=str(focal.id)) == {a["id"]}
    assert await _ids(client, role="support") == {b["id"], c["id"]}
    # Due before a date: strictly before it, and never an assignment without a due date.
    assert await _ids(client, due_before="2026-06-30") == {a["id"]}
    assert await _ids(client, due_before="2026-07-01") == {a["id"], b["id"]}
    assert await _ids(client, institution_id=justice, role="support") == {b["id"]}
    assert await _ids(client, institution_id=interior, role="lead") == set()
    assert await _ids(client, institution_id=UNKNOWN) == set()
    assert_problem(await client.get("/assignments", params={"role": "boss"}), 422, "query.role")
