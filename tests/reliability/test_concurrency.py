"""Concurrent writers: each request is its own transaction on its own connection, started together
with asyncio.gather, so that their reads and writes interleave in the database.

Run on both backends: PostgreSQL is where the races are real; SQLite serialises writers and must
still give the same answers.
"""

import asyncio
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import func, select

from app.imports.worker import ImportWorker
from app.models.assignment import Assignment
from app.models.audit import AuditRecord
from app.models.recommendation import Recommendation
from bench.uhri_export import write_export
from tests.planning.factories import institution_id, report, status_of
from tests.recommendations.factories import create_recommendation

WRITERS = 8
IMPORTED = 2_500


async def _count(app: FastAPI, statement: Any) -> int:
    async with app.state.sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


def _statuses(responses: list[Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


async def test_parallel_patches_with_one_etag_have_one_winner(
    app: FastAPI, client: AsyncClient
) -> None:
    made = await create_recommendation(client)
    url = f"/recommendations/{made['id']}"
    responses = await asyncio.gather(
        *(
            client.patch(url, json={"text": {"en": f"Version {n}"}}, headers={"If-Match": '"1"'})
            for n in range(WRITERS)
        )
    )
    assert _statuses(responses) == [200] + [412] * (WRITERS - 1)
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = (await client.get(url)).json()
    assert stored["text"]["en"] == winner["text"]["en"]
    assert stored["version"] == 2
    updates = select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "update")
    assert await _count(app, updates) == 1


async def test_parallel_bulk_assignments_neither_lose_nor_duplicate(
    app: FastAPI, client: AsyncClient
) -> None:
    recs = [(await create_recommendation(client))["id"] for _ in range(5)]
    ministry = await institution_id(app)
    body = {"recommendation_ids": recs, "institution_id": ministry, "role": "lead"}
    responses = await asyncio.gather(
        *(client.post("/assignments/bulk", json=body) for _ in range(WRITERS))
    )
    # A writer that loses a race is told so (409 on the unique key, 412 on a row's version)
    # and wrote nothing.
    assert set(_statuses(responses)) <= {200, 409, 412}, [r.text for r in responses]
    succeeded = [r.json() for r in responses if r.status_code == 200]
    assert sum(r["created"] for r in succeeded) == 5
    rows = select(func.count()).select_from(Assignment)
    assert await _count(app, rows) == 5
    assert {await status_of(client, rec) for rec in recs} == {"planned"}


async def test_parallel_leads_from_two_institutions_leave_one_lead(
    app: FastAPI, client: AsyncClient
) -> None:
    recs = [(await create_recommendation(client))["id"] for _ in range(3)]
    ministries = [await institution_id(app) for _ in range(WRITERS)]
    responses = await asyncio.gather(
        *(
            client.post(
                "/assignments/bulk",
                json={"recommendation_ids": recs, "institution_id": m, "role": "lead"},
            )
            for m in ministries
        )
    )
    statuses = _statuses(responses)
    assert statuses[0] == 200, [r.text for r in responses]
    assert set(statuses[1:]) <= {409, 412}, [r.text for r in responses]
    leads = select(func.count()).select_from(Assignment).where(Assignment.role == "lead")
    assert await _count(app, leads) == 3


async def test_parallel_cluster_edits_keep_every_member_once(
    app: FastAPI, client: AsyncClient
) -> None:
    recs = [(await create_recommendation(client))["id"] for _ in range(6)]
    cluster = (await client.post("/clusters", json={"name": "Torture"})).json()
    # Overlapping sets: each writer adds three, every recommendation is wanted by several.
    batches = [[recs[n % 6], recs[(n + 1) % 6], recs[(n + 2) % 6]] for n in range(WRITERS)]
    responses = await asyncio.gather(
        *(
            client.post(
                f"/clusters/{cluster['id']}/recommendations", json={"recommendation_ids": batch}
            )
            for batch in batches
        )
    )
    assert set(_statuses(responses)) <= {200, 409, 412}, [r.text for r in responses]
    for batch, response in zip(batches, responses, strict=True):
        if response.status_code != 200:  # a refused writer retries, as a client would
            retry = await client.post(
                f"/clusters/{cluster['id']}/recommendations", json={"recommendation_ids": batch}
            )
            assert retry.status_code == 200, retry.text
    stored = (await client.get(f"/clusters/{cluster['id']}")).json()
    assert stored["recommendations_count"] == 6
    listed = (await client.get("/recommendations", params={"cluster": cluster["id"]})).json()
    assert sorted(r["id"] for r in listed["items"]) == sorted(recs)


async def test_parallel_validations_of_one_update_validate_it_once(
    app: FastAPI, client: AsyncClient
) -> None:
    rec = (await create_recommendation(client))["id"]
    update = await report(client, rec, "implemented")
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    responses = await asyncio.gather(
        *(client.post(f"/progress-updates/{update['id']}/validate") for _ in range(WRITERS))
    )
    assert _statuses(responses) in (
        [200] + [409] * (WRITERS - 1),
        [200] + [409] * (WRITERS - 2) + [412],
    ) or (_statuses(responses)[0] == 200 and set(_statuses(responses)[1:]) <= {409, 412}), [
        r.text for r in responses
    ]
    assert sum(r.status_code == 200 for r in responses) == 1
    validations = (
        select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "validate")
    )
    assert await _count(app, validations) == 1
    assert await status_of(client, rec) == "implemented"


async def test_parallel_imports_of_one_file_create_each_record_once(
    app: FastAPI, client: AsyncClient, tmp_path: Path
) -> None:
    app.state.settings.import_dir = tmp_path / "uploads"
    path = tmp_path / "export-full-en.json"
    write_export(path, IMPORTED)  # three batches, so that the jobs overlap
    for _ in range(3):
        with path.open("rb") as handle:
            sent = await client.post("/imports", files={"file": (path.name, handle)})
        assert sent.status_code == 202, sent.text
    workers = [ImportWorker(app.state.sessionmaker) for _ in range(3)]
    await asyncio.gather(*(worker.run_pending() for worker in workers))
    jobs = (await client.get("/imports")).json()["items"]
    assert [job["status"] for job in jobs] == ["succeeded"] * 3, jobs
    assert sum(job["counts"]["created"] for job in jobs) == IMPORTED
    for job in jobs:
        assert job["counts"]["invalid"] == 0
        assert sum(job["counts"].values()) == IMPORTED
    total = select(func.count()).select_from(Recommendation)
    assert await _count(app, total) == IMPORTED
    distinct = select(func.count(func.distinct(Recommendation.uhri_id)))
    assert await _count(app, distinct) == IMPORTED
