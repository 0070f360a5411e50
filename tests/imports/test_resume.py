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


async def _worker_dies(app: FastAPI) -> uuid.UUID | None:
    """A worker claims a job and dies at once (killed, out of memory): the job stays running
    with a heartbeat that goes stale."""
    claimed = await service.claim_next(app.state.sessionmaker)
    async with app.state.sessionmaker() as session, session.begin():
        stale = dt.datetime.now(dt.UTC) - service.STALE_AFTER - dt.timedelta(seconds=1)
        await session.execute(update(ImportJob).values(heartbeat_at=stale))
    return claimed


async def test_a_job_whose_worker_keeps_dying_fails_after_max_attempts(
    app: FastAPI, client: AsyncClient, tmp_path: Path, import_dir: Path
) -> None:
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    with path.open("rb") as handle:
        job_id = (await client.post("/imports", files={"file": (path.name, handle)})).json()["id"]
    for _ in range(service.MAX_ATTEMPTS):
        assert str(await _worker_dies(app)) == job_id
    # Not taken over a fourth time: failed, with the reason, its upload gone.
    assert await service.claim_next(app.state.sessionmaker) is None
    job = (await client.get(f"/imports/{job_id}")).json()
    assert job["status"] == "failed"
    assert f"started {service.MAX_ATTEMPTS} times" in job["message"]
    assert list(import_dir.iterdir()) == []
    audit = (await client.get("/audit", params={"entity_type": "import_job"})).json()["items"]
    assert [record["action"] for record in audit] == ["import_failed"]


async def test_the_upload_of_a_failed_job_is_deleted(
    app: FastAPI, client: AsyncClient, import_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(service, "write_batch", broken)
    content = uhri.write_json(import_dir.parent / "export-full-en.json", uhri.english())
    response = await client.post("/imports", files={"file": (content.name, content.read_bytes())})
    assert len(list(import_dir.iterdir())) == 1
    await ImportWorker(app.state.sessionmaker).run_pending()
    job = (await client.get(f"/imports/{response.json()['id']}")).json()
    assert job["status"] == "failed"
    assert list(import_dir.iterdir()) == []
