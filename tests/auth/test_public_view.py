"""The public never sees users, not even their ids (DESIGN §6): every user reference in every
public answer is null for anonymous callers, and shown to signed-in ones."""

import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from app.auth.matrix import permission_matrix
from app.models.user import Role
from tests.accounts import make_user
from tests.planning.factories import (
    assign,
    focal_point_headers,
    institution_id,
    plan_action,
    report,
)
from tests.recommendations.factories import create_recommendation


async def _world(app: FastAPI, client: AsyncClient) -> tuple[dict[str, str], set[str]]:
    """A recommendation with everything that names a person; the path values and the ids of
    the people named."""
    rec = (await create_recommendation(client))["id"]
    ministry = await institution_id(app)
    focal = await make_user(app, Role.focal_point, institution_id=uuid.UUID(ministry))
    assignment = await assign(client, rec, ministry, focal_point_id=str(focal.id))
    action = await plan_action(client, [rec], institution_id=ministry)
    reporter = await focal_point_headers(app, ministry)
    update = await report(client, rec, "in_progress", headers=reporter)
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    validated = await client.post(f"/progress-updates/{update['id']}/validate")
    assert validated.status_code == 200, validated.text
    indicator = await client.post("/indicators", json={"name": "I", "recommendation_ids": [rec]})
    assert indicator.status_code == 201, indicator.text
    measured = await client.post(
        f"/indicators/{indicator.json()['id']}/measurements",
        json={"date": "2026-01-01", "value": 3},
    )
    assert measured.status_code == 201, measured.text
    people = {
        str(focal.id),
        update["author_id"],
        validated.json()["reviewed_by_id"],
        measured.json()["created_by_id"],
    }
    assert None not in people
    values = {
        "recommendation_id": rec, "assignment_id": assignment["id"], "action_id": action["id"],
        "update_id": update["id"], "indicator_id": indicator.json()["id"],
        "institution_id": ministry,
    }  # fmt: skip
    return values, people


async def test_user_references_are_null_for_the_public_and_shown_when_signed_in(
    app: FastAPI, client: AsyncClient, anonymous: AsyncClient
) -> None:
    values, _ = await _world(app, client)
    reads: list[tuple[str, str]] = [
        (f"/assignments/{values['assignment_id']}", "focal_point_id"),
        (f"/progress-updates/{values['update_id']}", "author_id"),
        (f"/progress-updates/{values['update_id']}", "reviewed_by_id"),
    ]
    lists = [
        ("/assignments", "focal_point_id"),
        (f"/recommendations/{values['recommendation_id']}/assignments", "focal_point_id"),
        ("/progress-updates", "author_id"),
        (f"/recommendations/{values['recommendation_id']}/progress-updates", "reviewed_by_id"),
        (f"/indicators/{values['indicator_id']}/measurements", "created_by_id"),
    ]
    for path, field in reads:
        assert (await anonymous.get(path)).json()[field] is None, path
        assert (await client.get(path)).json()[field] is not None, path
    for path, field in lists:
        public = (await anonymous.get(path)).json()["items"]
        signed_in = (await client.get(path)).json()["items"]
        assert public, path
        assert all(item[field] is None for item in public), path
        assert all(item[field] is not None for item in signed_in), path


# Reads that need a query parameter to answer at all.
REQUIRED_QUERY = {"/duplicates": {"country": "KEN"}}


async def test_no_public_operation_answers_a_user_id(
    app: FastAPI, client: AsyncClient, anonymous: AsyncClient
) -> None:
    values, people = await _world(app, client)
    values |= {"number": "16", "goal": "5", "code": "CRC", "iso3": "KEN"}
    public_reads = [
        row.path.removeprefix("/api/v1")
        for row in permission_matrix(app)
        if row.method == "GET" and row.allowed["anonymous"]
    ]
    read = 0
    for template in public_reads:
        try:
            path = template.format(**values)
        except KeyError:
            continue  # a path naming something this world lacks (a theme, a mechanism…)
        response = await anonymous.get(path, params=REQUIRED_QUERY.get(path, {}))
        assert response.status_code == 200, f"{path}: {response.text[:200]}"
        leaked = [person for person in people if person in response.text]
        assert not leaked, f"{path} shows user ids to the public"
        read += 1
    assert read >= 15, read
