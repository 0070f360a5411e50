"""Planning objects made through the API, for tests of planning and progress."""

import datetime as dt
import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.accounts import bearer, make_institution, make_user


async def institution_id(app: FastAPI, name: str | None = None) -> str:
    return str((await make_institution(app, name)).id)


async def focal_point_headers(app: FastAPI, institution: str) -> dict[str, str]:
    user = await make_user(app, Role.focal_point, institution_id=uuid.UUID(institution))
    return bearer(app, user)


async def assign(
    client: AsyncClient, rec_id: str, institution: str, role: str = "lead", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/assignments",
        json={"recommendation_id": rec_id, "institution_id": institution, "role": role, **extra},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def plan_action(client: AsyncClient, rec_ids: list[str], **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/actions", json={"title": "Draft the bill", "recommendation_ids": rec_ids, **fields}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def report(
    http: AsyncClient, rec_id: str, assessment: str, headers: dict[str, str] | None = None,
    **fields: Any,
) -> dict[str, Any]:  # fmt: skip
    response = await http.post(
        f"/recommendations/{rec_id}/progress-updates",
        json={"assessment": assessment, **fields},
        headers=headers or {},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def validated(client: AsyncClient, rec_id: str, assessment: str) -> dict[str, Any]:
    update = await report(client, rec_id, assessment)
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    response = await client.post(f"/progress-updates/{update['id']}/validate")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def status_of(client: AsyncClient, rec_id: str) -> str:
    status: str = (await client.get(f"/recommendations/{rec_id}")).json()["status"]
    return status


def days_from_today(days: int) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)).isoformat()
