"""Every kind of write leaves an audit record with the actor and the fields before and after."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.accounts import PASSWORD
from tests.conftest import ClientFactory
from tests.planning.factories import assign, institution_id, plan_action, report
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


def _created(**fields: Any) -> dict[str, dict[str, Any]]:
    """The changes a create records: every field that has a value, from nothing."""
    return {name: {"before": None, "after": value} for name, value in fields.items()}


async def test_assignment_writes_are_recorded(
    app: FastAPI, client: AsyncClient, admin: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    justice = await institution_id(app)
    made = await assign(client, rec["id"], justice, "support", due_date="2026-06-30")
    changed = await client.patch(
        f"/assignments/{made['id']}", json={"role": "lead", "due_date": "2026-12-31"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    gone = await client.delete(f"/assignments/{made['id']}", headers={"If-Match": '"2"'})
    assert gone.status_code == 204, gone.text
    records = await _trail(admin, entity_type="assignment", entity_id=made["id"])
    assert [r["action"] for r in records] == ["delete", "update", "create"]
    delete, update, create = records
    assert create["changes"] == _created(
        recommendation_id=rec["id"], institution_id=justice, role="support", due_date="2026-06-30"
    )
    assert update["changes"] == {
        "role": {"before": "support", "after": "lead"},
        "due_date": {"before": "2026-06-30", "after": "2026-12-31"},
    }
    # A withdrawn assignment is gone; the trail keeps what it was.
    assert delete["changes"] == {
        "recommendation_id": {"before": rec["id"], "after": None},
        "institution_id": {"before": justice, "after": None},
        "role": {"before": "lead", "after": None},
        "due_date": {"before": "2026-12-31", "after": None},
    }
    me = (await client.get("/users/me")).json()
    assert {r["actor"]["user_id"] for r in records} == {me["id"]}


async def test_action_writes_are_recorded(
    app: FastAPI, client: AsyncClient, admin: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    justice = await institution_id(app)
    action = await plan_action(client, [rec["id"]], institution_id=justice, due_date="2026-09-30")
    done = await client.patch(
        f"/actions/{action['id']}", json={"status": "completed", "title": "Bill passed"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert done.status_code == 200, done.text
    records = await _trail(admin, entity_type="action", entity_id=action["id"])
    assert [r["action"] for r in records] == ["update", "create"]
    update, create = records
    assert create["changes"] == _created(
        title="Draft the bill", recommendation_ids=[rec["id"]], institution_id=justice,
        due_date="2026-09-30", status="planned",
    )  # fmt: skip
    assert update["changes"] == {
        "title": {"before": "Draft the bill", "after": "Bill passed"},
        "status": {"before": "planned", "after": "completed"},
        "completed_at": {"before": None, "after": done.json()["completed_at"]},
    }
    assert done.json()["completed_at"] is not None


async def test_indicator_and_measurement_writes_are_recorded(
    client: AsyncClient, admin: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    made = await client.post(
        "/indicators",
        json={"name": "Births registered (%)", "baseline": 60, "target": 90,
              "recommendation_ids": [rec["id"]]},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    indicator = made.json()["id"]
    changed = await client.patch(
        f"/indicators/{indicator}", json={"target": 95, "unit": "%"}, headers={"If-Match": '"1"'}
    )
    assert changed.status_code == 200, changed.text
    measured = await client.post(
        f"/indicators/{indicator}/measurements", json={"date": "2025-01-01", "value": 72.5}
    )
    assert measured.status_code == 201, measured.text
    records = await _trail(admin, entity_type="indicator", entity_id=indicator)
    assert [r["action"] for r in records] == ["measure", "update", "create"]
    measure, update, create = records
    assert create["changes"] == {
        **_created(name="Births registered (%)", baseline=60, target=90, direction="increase",
                   recommendation_ids=[rec["id"]]),
        "action_ids": {"before": None, "after": []},
    }  # fmt: skip
    assert update["changes"] == {
        "target": {"before": 90, "after": 95},
        "unit": {"before": None, "after": "%"},
    }
    assert measure["changes"] == _created(date="2025-01-01", value=72.5)


async def test_progress_update_transitions_are_recorded(
    app: FastAPI, client: AsyncClient, admin: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    justice = await institution_id(app)
    update = await report(client, rec["id"], "in_progress", institution_id=justice,
                          narrative="Bill drafted")  # fmt: skip
    path = f"/progress-updates/{update['id']}"
    reviewer = (await client.get("/users/me")).json()["id"]
    steps = [
        ("submit", None),
        ("reject", {"comment": "Which bill?"}),
        ("edit", {"narrative": "Bill 12 drafted"}),
        ("submit", None),
        ("validate", {"comment": "Thank you"}),
    ]
    seen = [update]
    for step, body in steps:
        if step == "edit":
            etag = (await client.get(path)).headers["etag"]
            response = await client.patch(path, json=body, headers={"If-Match": etag})
        else:
            response = await client.post(f"{path}/{step}", json=body)
        assert response.status_code == 200, response.text
        seen.append(response.json())
    records = list(reversed(await _trail(admin, entity_type="progress_update",
                                         entity_id=update["id"])))  # fmt: skip
    assert [r["action"] for r in records] == [
        "create", "submit", "reject", "update", "submit", "validate",
    ]  # fmt: skip
    create, submit, reject, edit, resubmit, validate = (r["changes"] for r in records)
    assert create == _created(
        recommendation_id=rec["id"], assessment="in_progress", narrative="Bill drafted",
        evidence=[], state="draft", author_id=reviewer, institution_id=justice,
    )  # fmt: skip
    assert submit == {
        "state": {"before": "draft", "after": "submitted"},
        "submitted_at": {"before": None, "after": seen[1]["submitted_at"]},
    }
    assert reject == {
        "state": {"before": "submitted", "after": "rejected"},
        "reviewed_by_id": {"before": None, "after": reviewer},
        "review_comment": {"before": None, "after": "Which bill?"},
    }
    assert edit == {"narrative": {"before": "Bill drafted", "after": "Bill 12 drafted"}}
    assert resubmit == {
        "state": {"before": "rejected", "after": "submitted"},
        "submitted_at": {"before": seen[1]["submitted_at"], "after": seen[4]["submitted_at"]},
    }
    assert validate == {
        "state": {"before": "submitted", "after": "validated"},
        "review_comment": {"before": "Which bill?", "after": "Thank you"},
        "validated_at": {"before": None, "after": seen[5]["validated_at"]},
    }
