"""Processes killed with SIGKILL (no shutdown, no rollback) lose nothing and half-write nothing.

An import is killed in the middle of its batches over several runs and then run to the end: the
records and the labels it created must equal those of one clean import. A server is killed
while it answers bulk writes: each bulk write must have happened wholly or not at all.
"""

import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import PROJECT_ROOT, Settings
from app.db import create_engine, create_sessionmaker
from app.imports.service import BATCH_SIZE
from app.models import Base
from app.models.import_job import ImportJob, JobStatus
from app.models.mechanism import Mechanism
from app.models.recommendation import Recommendation
from app.models.taxonomy import AffectedPerson, Theme
from app.models.user import Role
from bench.uhri_export import write_export
from tests.conftest import clear_data
from tests.served import served, served_settings, signed_in_as

BATCHES = 3
RECORDS = BATCHES * BATCH_SIZE
KILLS = 3
RECORD_TABLES = [
    "recommendation",
    "recommendation_country",
    "recommending_state",
    "recommendation_theme",
    "recommendation_affected_person",
    "recommendation_sdg_goal",
    "recommendation_sdg_target",
    "recommendation_search",
]
# Generated on every write, so they differ between two imports of the same file. A mechanism's
# id is a sequence number: compared by its code instead.
VOLATILE = {"id", "recommendation_id", "created_at", "updated_at", "mechanism_id"}
# Labels no seed holds, met in the second and third batches: the import creates them.
NEW_LABELS = {"Body": "- SR Crash test mandate", "Themes": "- Crash test theme",
              "AffectedPersons": "- Crash test group"}  # fmt: skip


def _write_export_with_new_labels(path: Path) -> None:
    write_export(path, RECORDS)
    records = json.loads(path.read_text("utf-8"))
    for index in (BATCH_SIZE + 17, 2 * BATCH_SIZE + 300):
        records[index]["Body"] = NEW_LABELS["Body"]
        records[index]["Themes"].append(NEW_LABELS["Themes"])
        records[index]["AffectedPersons"].append(NEW_LABELS["AffectedPersons"])
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")


async def _fingerprint(database_url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every imported fact, keyed by UHRI's id rather than our generated ones, in order; and
    every mechanism, theme and affected-persons group as a whole row."""
    engine = create_engine(Settings(database_url=database_url))
    recommendation = Base.metadata.tables["recommendation"]
    mechanism = Base.metadata.tables["mechanism"]
    found: dict[str, list[tuple[str, ...]]] = {}
    try:
        async with engine.connect() as connection:
            for name in RECORD_TABLES:
                table = Base.metadata.tables[name]
                columns = [c for c in table.c if c.name not in VOLATILE]
                statement = select(*columns)
                if name == "recommendation":
                    statement = statement.add_columns(mechanism.c.code).join(
                        mechanism, mechanism.c.id == recommendation.c.mechanism_id
                    )
                else:
                    statement = select(recommendation.c.uhri_id, *columns).join(
                        recommendation, recommendation.c.id == table.c.recommendation_id
                    )
                rows = (await connection.execute(statement)).all()
                found[name] = sorted(tuple(repr(value) for value in row) for row in rows)
            for name in ("mechanism", "theme", "affected_person"):
                table = Base.metadata.tables[name]
                labels = select(*(c for c in table.c if name != "mechanism" or c.name != "id"))
                rows = (await connection.execute(labels)).all()
                found[name] = sorted(tuple(repr(value) for value in row) for row in rows)
    finally:
        await engine.dispose()
    return found


async def _back_to_the_seed(database_url: str) -> None:
    """No records, and no mechanism, theme or group but the seed's: what imports create is
    created again, so that the comparison of labels can fail."""
    settings = Settings(database_url=database_url)
    seeds = settings.seeds_dir
    mechanisms = [m["code"] for m in json.loads((seeds / "mechanisms.json").read_text("utf-8"))]
    engine = create_engine(settings)
    try:
        await clear_data(engine)
        async with engine.begin() as connection:
            await connection.execute(delete(Mechanism).where(Mechanism.code.not_in(mechanisms)))
            for model, file in ((Theme, "themes.json"), (AffectedPerson, "affected_persons.json")):
                seeded = [uuid.UUID(item["id"]) for item in json.loads((seeds / file).read_text())]
                await connection.execute(delete(model).where(model.id.not_in(seeded)))
    finally:
        await engine.dispose()


def _import(database_url: str, path: Path, workdir: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": database_url,
        "RECTRACK_IMPORT_DIR": str(workdir / "uploads"),
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "app.cli", "import", str(path)],
        env=env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


async def _latest_job(engine: AsyncEngine) -> ImportJob | None:
    async with create_sessionmaker(engine)() as session:
        newest = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(1)
        return await session.scalar(newest)


async def _timed_clean_import(database_url: str, path: Path, workdir: Path) -> float:
    """Run one import to its end and return how long its quickest batch took (the first is
    left out: it waited for the file to be read through once)."""
    engine = create_engine(Settings(database_url=database_url))
    run = _import(database_url, path, workdir)
    seen: dict[int, float] = {}
    try:
        while run.poll() is None:
            job = await _latest_job(engine)
            if job is not None and job.processed not in seen:
                seen[job.processed] = time.monotonic()
            await asyncio.sleep(0.02)
    finally:
        await engine.dispose()
    assert run.returncode == 0, run.stderr.read() if run.stderr else ""
    moments = sorted(seen.values())
    assert len(moments) == BATCHES + 1, seen
    return min(later - earlier for earlier, later in itertools.pairwise(moments[1:]))


async def _kill_within_a_batch(
    database_url: str, path: Path, workdir: Path, chance: random.Random, batch_seconds: float
) -> ImportJob:
    """Start an import, let it commit some batches, kill it inside the next one, and return
    its job row as the kill left it."""
    engine = create_engine(Settings(database_url=database_url))
    before = await _latest_job(engine)
    earlier = before.id if before is not None else None
    committed = chance.randint(1, BATCHES - 1) * BATCH_SIZE
    run = _import(database_url, path, workdir)
    try:
        deadline = time.monotonic() + 300
        while True:
            assert run.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline, "the import never reached its kill point"
            job = await _latest_job(engine)
            if job is not None and job.id != earlier and job.processed >= committed:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(chance.uniform(0.05, 0.7) * batch_seconds)
        run.kill()
        run.wait(timeout=30)
        killed = await _latest_job(engine)
    finally:
        if run.poll() is None:
            run.kill()
        await engine.dispose()
    assert killed is not None
    return killed


async def _recommendations(database_url: str) -> int:
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as connection:
            count = await connection.scalar(select(func.count()).select_from(Recommendation))
    finally:
        await engine.dispose()
    return int(count or 0)


def test_an_import_killed_within_its_batches_ends_as_a_clean_import(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export-full-en.json"
    _write_export_with_new_labels(export)
    asyncio.run(_back_to_the_seed(database_url))
    seeded = asyncio.run(_fingerprint(database_url))
    batch_seconds = asyncio.run(_timed_clean_import(database_url, export, tmp_path))
    expected = asyncio.run(_fingerprint(database_url))
    assert len(expected["recommendation"]) == RECORDS
    for name in ("mechanism", "theme", "affected_person"):
        assert len(expected[name]) == len(seeded[name]) + 1, name

    asyncio.run(_back_to_the_seed(database_url))
    seed = random.SystemRandom().randrange(2**32)
    chance = random.Random(seed)
    for kill in range(KILLS):
        job = asyncio.run(
            _kill_within_a_batch(database_url, export, tmp_path, chance, batch_seconds)
        )
        where = f"kill {kill} (seed {seed})"
        # The kill landed inside the import: the job never finished, some batches committed.
        assert job.status is JobStatus.running, where
        assert job.total == RECORDS, where
        assert 0 < job.processed < RECORDS, (where, job.processed)
        if kill == 0:
            # Nothing else wrote since the seed: what is there is what the job committed.
            assert asyncio.run(_recommendations(database_url)) == job.counts["created"], where
    final = _import(database_url, export, tmp_path)
    assert final.wait(timeout=600) == 0, final.stderr.read() if final.stderr else ""
    got = asyncio.run(_fingerprint(database_url))
    for name in expected:
        assert got[name] == expected[name], f"{name} differs (seed {seed})"


def test_a_server_killed_during_bulk_writes_leaves_each_write_whole(
    database_url: str, tmp_path: Path
) -> None:
    settings = served_settings(database_url, tmp_path)
    headers = signed_in_as(settings, Role.coordinator)
    export = tmp_path / "export-full-en.json"
    write_export(export, 400)
    assert _import(database_url, export, tmp_path).wait(timeout=600) == 0
    log = tmp_path / "server.log"
    seed = random.SystemRandom().randrange(2**32)
    chance = random.Random(seed)
    for round_number in range(KILLS):
        where = f"round {round_number}, seed {seed}"
        with served(settings, log) as api:
            http = _client(api.url, headers)
            ids = _all_ids(http)
            writes = _BulkWrites(http, ids)
            writes.start()
            # Kill after at least one whole bulk write, at a random point of the ones after.
            assert writes.first_done.wait(timeout=120), f"{where}: no bulk write finished"
            time.sleep(chance.uniform(0.0, 1.5))
            api.kill()
            writes.stop_and_join()
        with served(settings, log) as api:
            http = _client(api.url, headers)
            priorities = {r["priority"] for r in _all(http, "/recommendations")}
            assert len(priorities) == 1, f"{where}: {priorities}"
            assert priorities != {None}, where
            ministries = [m["id"] for m in _all(http, "/institutions")]
            for ministry in ministries:
                held = _all(http, "/assignments", institution_id=ministry)
                assert len(held) in (0, len(ids)), where
            assert http.get("/recommendations", params={"limit": 1}).status_code == 200


def _client(url: str, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=f"{url}/api/v1", headers=headers, timeout=30)


def _all(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 500, **params, **({"cursor": cursor} if cursor else {})}
        page = http.get(path, params=query)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if not cursor:
            return items


def _all_ids(http: httpx.Client) -> list[str]:
    return [r["id"] for r in _all(http, "/recommendations")]


class _BulkWrites:
    """Alternate bulk priority changes and bulk assignments in a thread until the server goes
    away. A wrong answer is kept and raised again in the test's thread, where it fails the test
    (an assert in the thread itself would only print a warning)."""

    def __init__(self, http: httpx.Client, ids: list[str]) -> None:
        self.http = http
        self.ids = ids
        self.first_done = threading.Event()
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop_and_join(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the bulk writer did not stop"
        if self.failure is not None:
            raise self.failure

    def _run(self) -> None:
        try:
            self._write_until_stopped()
        except httpx.TransportError:
            return
        except BaseException as exc:
            self.failure = exc
            self.first_done.set()  # wakes the test, which then finds the failure

    def _write_until_stopped(self) -> None:
        priorities = ["high", "medium", "low"]
        n = 0
        run = uuid.uuid4().hex[:8]
        while not self.stop.is_set():
            changed = self.http.post(
                "/recommendations/bulk-update",
                json={"ids": self.ids, "priority": priorities[n % 3]},
            )
            assert changed.status_code == 200, changed.text
            self.first_done.set()
            ministry = self.http.post(
                "/institutions", json={"name": f"Ministry {run}-{n}", "kind": "ministry"}
            )
            assert ministry.status_code == 201, ministry.text
            assigned = self.http.post(
                "/assignments/bulk",
                json={
                    "recommendation_ids": self.ids,
                    "institution_id": ministry.json()["id"],
                    "role": "support",
                },
            )
            assert assigned.status_code == 200, assigned.text
            n += 1
