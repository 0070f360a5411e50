"""The import worker: the one in the API process wakes up for an upload and carries on after a
job that errs; `rectrack worker` runs queued jobs on its own and stops on SIGTERM."""

import asyncio
import os
import secrets
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.config import PROJECT_ROOT
from app.imports import service, worker
from app.models.import_job import ImportJob
from tests.imports import uhri_files as uhri

# Long enough that a job which finishes was started by a wake-up, never by the worker looking
# for work again on its own.
NEVER = 3600.0


async def _upload(client: AsyncClient, path: Path) -> str:
    with path.open("rb") as handle:
        response = await client.post("/imports", files={"file": (path.name, handle)})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def _finished(client: AsyncClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = (await client.get(f"/imports/{job_id}")).json()
        if job["status"] in ("succeeded", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in 60 s: {job}")


async def _idle_worker(app: FastAPI) -> worker.ImportWorker:
    """The API's own worker, started with the app and waiting for work."""
    running: worker.ImportWorker = app.state.import_worker
    running.idle_seconds = NEVER
    await asyncio.sleep(0.5)  # it looks once at start, finds nothing, and waits
    return running


async def test_the_api_worker_wakes_up_for_an_upload(
    app: FastAPI, client: AsyncClient, tmp_path: Path
) -> None:
    async with app.router.lifespan_context(app):
        await _idle_worker(app)
        job_id = await _upload(client, uhri.write_json(tmp_path / "e-en.json", uhri.english()))
        job = await _finished(client, job_id)
    assert job["status"] == "succeeded", job
    assert job["counts"]["created"] == 4


async def test_the_api_worker_carries_on_after_a_job_errs(
    app: FastAPI,
    client: AsyncClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken_once: list[uuid.UUID] = []

    async def breaks_the_first_time(*args: Any, **kwargs: Any) -> Any:
        if not broken_once:
            broken_once.append(args[1])
            raise RuntimeError("the database went away")
        return await service.run_job(*args, **kwargs)

    monkeypatch.setattr(worker, "run_job", breaks_the_first_time)
    truncated = tmp_path / "truncated-en.json"
    truncated.write_text('[{"AnnotationId": "x", "Text": "1. a"', encoding="utf-8")
    good = uhri.write_json(tmp_path / "e-en.json", uhri.english())
    async with app.router.lifespan_context(app):
        await _idle_worker(app)
        # An error escapes the job: the worker logs it and waits for the next upload.
        escaped = await _upload(client, good)
        deadline = time.monotonic() + 30
        while "carrying on" not in caplog.text:
            assert time.monotonic() < deadline, "the worker never hit the error"
            await asyncio.sleep(0.1)
        assert broken_once == [uuid.UUID(escaped)]
        # A job that fails on its file is a failed job, and the worker goes on.
        failed = await _finished(client, await _upload(client, truncated))
        assert failed["status"] == "failed"
        assert "truncated" in failed["message"]
        succeeded = await _finished(client, await _upload(client, good))
    assert succeeded["status"] == "succeeded", succeeded
    assert succeeded["counts"]["created"] == 4


async def test_the_worker_command_runs_a_queued_job_and_stops_on_sigterm(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())

    async def queue() -> uuid.UUID:
        async with app.state.sessionmaker() as session, session.begin():
            job = await service.create_job(
                session, stored_path=path, filename=path.name, dry_run=False, countries=[],
                lang=None, actor=None,
            )  # fmt: skip
            return job.id

    async def status(job_id: uuid.UUID) -> tuple[str, dict[str, int]]:
        async with app.state.sessionmaker() as session:
            job = await session.get_one(ImportJob, job_id)
            return str(job.status), dict(job.counts)

    job_id = await queue()
    env = {**os.environ, "RECTRACK_DATABASE_URL": database_url, "RECTRACK_ENVIRONMENT": "test",
           "RECTRACK_SECRET_KEY": secrets.token_urlsafe(32)}  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "worker", env=env, cwd=PROJECT_ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while (found := await status(job_id))[0] != "succeeded":
            assert process.returncode is None, await process.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, f"the worker never finished the job: {found}"
            await asyncio.sleep(0.2)
        assert found[1]["created"] == 4
        assert process.returncode is None, "the worker stopped once the queue was empty"
        process.send_signal(signal.SIGTERM)
        # A clean stop: what it held is given back, and it exits normally.
        assert await asyncio.wait_for(process.wait(), timeout=15) == 0
        output = await process.stdout.read()  # type: ignore[union-attr]
        assert b"worker stopped" in output
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_a_stopped_worker_puts_its_job_back_in_the_queue(
    app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    async with app.state.sessionmaker() as session, session.begin():
        job = await service.create_job(
            session, stored_path=path, filename=path.name, dry_run=False, countries=[],
            lang=None, actor=None,
        )  # fmt: skip
    started = asyncio.Event()

    async def long_job(*_: Any) -> None:
        started.set()
        await asyncio.sleep(3600)

    monkeypatch.setattr(worker, "run_job", long_job)
    running = asyncio.create_task(worker.ImportWorker(app.state.sessionmaker).run_pending())
    await asyncio.wait_for(started.wait(), timeout=10)
    async with app.state.sessionmaker() as session:
        taken = await session.get_one(ImportJob, job.id)
        assert (taken.status, taken.attempts) == ("running", 1)
    running.cancel()  # what stopping the worker (SIGTERM) does
    with pytest.raises(asyncio.CancelledError):
        await running
    async with app.state.sessionmaker() as session:
        back = await session.get_one(ImportJob, job.id)
    # Queued again at once, and the clean stop is not counted as a death.
    assert (back.status, back.attempts, back.heartbeat_at) == ("queued", 0, None)
