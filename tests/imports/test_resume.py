"""A job stopped between batches resumes where it stopped: nothing lost, nothing twice."""

import datetime as dt
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from app.imports import service
from app.imports.worker import ImportWorker
from app.models.import_job import ImportJob
from tests.imports import uhri_files as uhri


class Crash(Exception):
    pass


async def test_a_crashed_job_resumes_after_its_last_batch(
    app: FastAPI, client: AsyncClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    records = []
    for n in range(7):
        record = uhri.english()[0]
        record["AnnotationId"] = f"resume-{n}"
        record["Text"] = f"132.{n + 1} Recommendation number {n} (Norway);"
        records.append(record)
    path = uhri.write_json(tmp_path / "export-full-en.json", records)
    with path.open("rb") as handle:
        job_id = (await client.post("/imports", files={"file": (path.name, handle)})).json()["id"]

    batches = 0

    async def crash_after_two(job: ImportJob) -> None:
        nonlocal batches
        batches += 1
        if batches == 2:
            raise Crash

    claimed = await service.claim_next(app.state.sessionmaker)
    assert str(claimed) == job_id
    # run_job turns unexpected errors into a failed job; a real crash kills the process instead,
    # leaving the job "running" with its last heartbeat: reproduce that state.
    monkeypatch.setattr(service, "_finish", _never_called)
    with pytest.raises(Crash):
        await service._run_batches(
            app.state.sessionmaker, await _load(app, job_id), path, "json", crash_after_two
        )
    monkeypatch.undo()
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    halfway = (await client.get(f"/imports/{job_id}")).json()
    assert halfway["status"] == "running"
    assert halfway["processed"] == 4
    assert halfway["counts"]["created"] == 4
    assert (await client.get("/recommendations", params={"include_total": "true"})).json()[
        "total"
    ] == 4

    # A live worker's job is not taken over; a silent one is.
    assert await service.claim_next(app.state.sessionmaker) is None
    async with app.state.sessionmaker() as session, session.begin():
        stale = dt.datetime.now(dt.UTC) - service.STALE_AFTER - dt.timedelta(seconds=1)
        await session.execute(update(ImportJob).values(heartbeat_at=stale))
    assert await ImportWorker(app.state.sessionmaker).run_pending() == 1
    done = (await client.get(f"/imports/{job_id}")).json()
    assert done["status"] == "succeeded"
    assert done["processed"] == 7
    assert done["counts"] == {
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
        "invalid": 0,
    }
    listed = (await client.get("/recommendations", params={"limit": 50})).json()["items"]
    assert sorted(r["uhri_id"] for r in listed) == [f"resume-{n}" for n in range(7)]


async def _never_called(*_: object) -> None:  # pragma: no cover
    raise AssertionError("a crashed process finishes nothing")


async def _load(app: FastAPI, job_id: str) -> ImportJob:
    async with app.state.sessionmaker() as session:
        job: ImportJob = await session.get_one(ImportJob, uuid.UUID(job_id))
        return job
