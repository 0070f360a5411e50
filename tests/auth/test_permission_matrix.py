"""Every operation, called as every kind of caller, answers as docs/permissions.md says."""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from app.auth.matrix import CALLERS, matrix_markdown, parse_matrix_markdown, permission_matrix
from app.config import PROJECT_ROOT
from app.models.attachment import Attachment
from app.models.import_job import ImportJob, JobStatus
from app.models.user import Role, TokenScope
from app.models.webhook import Webhook
from tests.accounts import bearer, make_api_token, make_institution, make_user
from tests.recommendations.factories import recommendation_payload

DOC = PROJECT_ROOT / "docs" / "permissions.md"
BAD_CREDENTIALS = ("expired token", "revoked token", "deactivated user", "garbage token")


def _documented() -> dict[str, dict[str, Any]]:
    return parse_matrix_markdown(DOC.read_text(encoding="utf-8"))


def test_the_document_matches_the_code(app: FastAPI) -> None:
    derived = matrix_markdown(permission_matrix(app))
    text = DOC.read_text(encoding="utf-8")
    assert derived in text, "docs/permissions.md is stale: run `rectrack permissions --write`"


def test_every_operation_of_the_openapi_document_is_in_the_matrix(app: FastAPI) -> None:
    documented = set(_documented())
    for path, item in app.openapi()["paths"].items():
        if path.startswith("/api/"):
            for method in item:
                assert f"{method.upper()} {path}" in documented


async def _caller_headers(app: FastAPI, caller: str, institution: uuid.UUID) -> dict[str, str]:
    """Headers for one kind of caller; a focal point belongs to the world's assigned institution."""
    if caller == "anonymous":
        return {}
    if caller == "focal_point":
        return bearer(app, await make_user(app, Role.focal_point, institution_id=institution))
    if caller in {r.value for r in Role}:
        return bearer(app, await make_user(app, Role(caller)))
    if caller == "read token":
        _, secret = await make_api_token(app, await make_user(app, Role.admin), TokenScope.read)
        return {"Authorization": f"Bearer {secret}"}
    if caller in ("write token", "admin write token"):
        owner_role = Role.admin if caller == "admin write token" else Role.coordinator
        _, secret = await make_api_token(app, await make_user(app, owner_role), TokenScope.write)
        return {"Authorization": f"Bearer {secret}"}
    if caller == "expired token":
        owner = await make_user(app, Role.admin)
        past = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
        _, secret = await make_api_token(app, owner, TokenScope.write, expires_at=past)
        return {"Authorization": f"Bearer {secret}"}
    if caller == "revoked token":
        owner = await make_user(app, Role.admin)
        _, secret = await make_api_token(app, owner, TokenScope.write, revoked=True)
        return {"Authorization": f"Bearer {secret}"}
    if caller == "deactivated user":
        return bearer(app, await make_user(app, Role.admin, active=False))
    assert caller == "garbage token"
    return {"Authorization": "Bearer not-a-token"}


async def _world(app: FastAPI, admin: AsyncClient) -> dict[str, str]:
    """One of everything a path can name."""
    institution = await make_institution(app)
    user = await make_user(app, Role.viewer)
    token_id, _ = await make_api_token(app, await make_user(app, Role.admin), TokenScope.read)
    created = await admin.post("/recommendations", json=recommendation_payload())
    assert created.status_code == 201, created.text
    rec_id = created.json()["id"]
    other = await admin.post("/recommendations", json=recommendation_payload())
    assert other.status_code == 201, other.text
    planned = {
        "cluster": await admin.post(
            "/clusters", json={"name": "C", "recommendation_ids": [rec_id]}
        ),
        "assignment": await admin.post(
            "/assignments",
            json={"recommendation_id": rec_id, "institution_id": str(institution.id)},
        ),
        # The focal point's institution is responsible for the action (DESIGN §6).
        "action": await admin.post(
            "/actions",
            json={
                "title": "A",
                "recommendation_ids": [rec_id],
                "institution_id": str(institution.id),
            },
        ),
        "indicator": await admin.post(
            "/indicators", json={"name": "I", "recommendation_ids": [rec_id]}
        ),
        "update": await admin.post(
            f"/recommendations/{rec_id}/progress-updates",
            json={"assessment": "in_progress", "institution_id": str(institution.id)},
        ),
    }
    for response in planned.values():
        assert response.status_code == 201, response.text
    measured = await admin.post(
        f"/indicators/{planned['indicator'].json()['id']}/measurements",
        json={"date": "2025-01-01", "value": 1},
    )
    assert measured.status_code == 201, measured.text
    job = ImportJob(
        id=uuid.uuid4(), status=JobStatus.succeeded, filename="export-full-en.json",
        stored_path="/nonexistent", owns_file=False, dry_run=False, countries=[], processed=0,
        resume_index=0, counts={}, errors=[],
    )  # fmt: skip
    attachment = Attachment(
        id=uuid.uuid4(), progress_update_id=uuid.UUID(planned["update"].json()["id"]),
        filename="decree.pdf", content_type="application/pdf", size=1, sha256="0" * 64,
        public=True,
    )  # fmt: skip
    webhook = Webhook(
        id=uuid.uuid4(), url="https://example.org/hook", events=["action.updated"], active=True,
        secret="unreadable",
    )  # fmt: skip
    async with app.state.sessionmaker() as session, session.begin():
        session.add_all([job, attachment, webhook])
    theme = (await admin.get("/themes", params={"limit": 1})).json()["items"][0]
    group = (await admin.get("/affected-persons", params={"limit": 1})).json()["items"][0]
    return {
        "recommendation_id": created.json()["id"],
        "other_id": other.json()["id"],
        "institution_id": str(institution.id),
        "user_id": str(user.id),
        "token_id": str(token_id),
        "job_id": str(job.id),
        "cluster_id": planned["cluster"].json()["id"],
        "assignment_id": planned["assignment"].json()["id"],
        "action_id": planned["action"].json()["id"],
        "indicator_id": planned["indicator"].json()["id"],
        "measurement_id": measured.json()["id"],
        "update_id": planned["update"].json()["id"],
        "attachment_id": str(attachment.id),
        "webhook_id": str(webhook.id),
        "theme_id": theme["id"],
        "affected_person_id": group["id"],
        "number": "16",
        "goal": "5",
        "code": "CRC",
        "iso3": "KEN",
    }


@pytest.mark.parametrize("caller", [*CALLERS, *BAD_CREDENTIALS])
async def test_every_operation_as(app: FastAPI, admin: AsyncClient, caller: str) -> None:
    world = await _world(app, admin)
    headers = await _caller_headers(app, caller, uuid.UUID(world["institution_id"]))
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    mismatches = []
    async with AsyncClient(transport=transport, base_url="http://test", headers=headers) as http:
        for operation, expected in _documented().items():
            method, path = operation.split(" ", 1)
            url = path.format(**world)
            extra: dict[str, Any] = {"headers": {"If-Match": "*"}}
            if method in {"POST", "PATCH"} and not path.endswith("/auth/token"):
                extra["json"] = {}
            response = await http.request(method, url, **extra)
            if caller in BAD_CREDENTIALS:
                allowed = expected["permission"] == "public" and path.endswith("/auth/token")
                want_denied = None if allowed else 401
            else:
                allowed = expected[caller]
                want_denied = None if allowed else (401 if caller == "anonymous" else 403)
            got = response.status_code
            if want_denied is None and got in (401, 403):
                mismatches.append(f"{operation}: allowed, but got {got} {response.text[:120]}")
            elif want_denied is not None and got != want_denied:
                mismatches.append(f"{operation}: expected {want_denied}, got {got}")
            assert got < 500, f"{operation}: {got} {response.text}"
    assert not mismatches, "\n".join(mismatches)
