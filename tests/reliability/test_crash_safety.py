"""Processes killed with SIGKILL (no shutdown, no rollback) lose nothing and half-write nothing.

An import is killed at random points over several runs and then run to the end: the records
must equal those of one clean import. A server is killed while it answers bulk writes: each
bulk write must have happened wholly or not at all.
"""

import asyncio
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from app.config import PROJECT_ROOT, Settings
from app.db import create_engine
from app.models import Base
from app.models.user import Role
from bench.uhri_export import write_export
from tests.conftest import clear_data
from tests.served import served, served_settings, signed_in_as

RECORDS = 2_500
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
# Generated on every write, so they differ between two imports of the same file.
VOLATILE = {"id", "recommendation_id", "created_at", "updated_at"}


async def _fingerprint(database_url: str) -> dict[str, list[tuple[str, ...]]]:
    """Every imported fact, keyed by UHRI's id rather than our generated ones, in order."""
    engine = create_engine(Settings(database_url=database_url))
    recommendation = Base.metadata.tables["recommendation"]
    found: dict[str, list[tuple[str, ...]]] = {}
    try:
        async with engine.connect() as connection:
            for name in RECORD_TABLES:
                table = Base.metadata.tables[name]
                columns = [c for c in table.c if c.name not in VOLATILE]
                statement = select(*columns)
                if name != "recommendation":
                    statement = select(recommendation.c.uhri_id, *columns).join(
                        recommendation, recommendation.c.id == table.c.recommendation_id
                    )
                rows = (await connection.execute(statement)).all()
                found[name] = sorted(tuple(repr(value) for value in row) for row in rows)
            for name in ("mechanism", "theme", "affected_person"):
                codes = select(Base.metadata.tables[name].c[1])
                found[name] = sorted((repr(v),) for v in (await connection.scalars(codes)))
    finally:
        await engine.dispose()
    return found


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


def test_an_import_killed_at_random_points_ends_as_a_clean_import(
    database_url: str, tmp_path: Path
) -> None:
    export = tmp_path / "export-full-en.json"
    write_export(export, RECORDS)
    asyncio.run(_clear(database_url))

    started = time.monotonic()
    clean = _import(database_url, export, tmp_path)
    assert clean.wait(timeout=600) == 0, clean.stderr.read() if clean.stderr else ""
    duration = time.monotonic() - started
    expected = asyncio.run(_fingerprint(database_url))
    assert len(expected["recommendation"]) == RECORDS

    asyncio.run(_clear(database_url))
    seed = random.SystemRandom().randrange(2**32)
    chance = random.Random(seed)
    for _ in range(KILLS):
        run = _import(database_url, export, tmp_path)
        time.sleep(chance.uniform(0.1, 0.9) * duration)
        run.kill()
        run.wait(timeout=30)
    final = _import(database_url, export, tmp_path)
    assert final.wait(timeout=600) == 0, final.stderr.read() if final.stderr else ""
    got = asyncio.run(_fingerprint(database_url))
    for name in expected:
        assert got[name] == expected[name], f"{name} differs (seed {seed})"


async def _clear(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url))
    try:
        await clear_data(engine)
    finally:
        await engine.dispose()


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
    done: list[int] = []
    for round_number in range(KILLS):
        with served(settings, log) as api:
            http = _client(api.url, headers)
            ids = _all_ids(http)
            stop = threading.Event()
            writer = threading.Thread(
                target=_bulk_writes, args=(http, ids, stop, done), daemon=True
            )
            writer.start()
            time.sleep(chance.uniform(0.2, 1.5))
            api.kill()
            stop.set()
            writer.join(timeout=30)
        with served(settings, log) as api:
            http = _client(api.url, headers)
            priorities = {r["priority"] for r in _all(http, "/recommendations")}
            assert len(priorities) == 1, f"round {round_number}, seed {seed}: {priorities}"
            ministries = [m["id"] for m in _all(http, "/institutions")]
            for ministry in ministries:
                held = _all(http, "/assignments", institution_id=ministry)
                assert len(held) in (0, len(ids)), f"round {round_number}, seed {seed}"
            assert http.get("/recommendations", params={"limit": 1}).status_code == 200
    assert done, "no bulk write finished before the kills: the test proved nothing"
    assert priorities != {None}


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


def _bulk_writes(
    http: httpx.Client, ids: list[str], stop: threading.Event, done: list[int]
) -> None:
    """Alternate bulk priority changes and bulk assignments until the server goes away."""
    priorities = ["high", "medium", "low"]
    n = 0
    while not stop.is_set():
        try:
            changed = http.post(
                "/recommendations/bulk-update", json={"ids": ids, "priority": priorities[n % 3]}
            )
            assert changed.status_code == 200, changed.text
            done.append(n)
            ministry = http.post(
                "/institutions", json={"name": f"Ministry {n}", "kind": "ministry"}
            )
            if ministry.status_code == 201:
                http.post(
                    "/assignments/bulk",
                    json={
                        "recommendation_ids": ids,
                        "institution_id": ministry.json()["id"],
                        "role": "support",
                    },
                )
        except httpx.TransportError:
            return
        n += 1
