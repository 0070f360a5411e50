"""Back up a database holding every kind of record, restore it into a fresh one, and compare
every table row by row (docs/operations.md): SQLite's online backup, PostgreSQL's pg_dump and
pg_restore."""

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.attachments.storage import storage_dir
from app.config import PROJECT_ROOT, Settings
from app.db import create_engine
from app.main import create_app
from app.models import Base
from tests.conftest import _postgres_admin
from tests.planning.factories import assign, institution_id, plan_action, report, validated
from tests.recommendations.factories import create_recommendation


async def _every_row(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with engine.connect() as connection:
            return {
                table.name: sorted(
                    (await connection.execute(select(table))).all(), key=lambda row: repr(row)
                )
                for table in Base.metadata.sorted_tables
            }
    finally:
        await engine.dispose()


EVIDENCE = b"%PDF-1.4\n% the decree\n%%EOF\n"


async def _fill(app: FastAPI, client: AsyncClient) -> str:
    """Every kind of record; returns the id of an evidence file."""
    recs = [(await create_recommendation(client))["id"] for _ in range(3)]
    ministry = await institution_id(app)
    await assign(client, recs[0], ministry)
    await plan_action(client, recs[:2])
    await validated(client, recs[0], "partially_implemented")
    cluster = await client.post("/clusters", json={"name": "Detention", "recommendation_ids": recs})
    assert cluster.status_code == 201, cluster.text
    update = await report(client, recs[1], "in_progress")
    attached = await client.post(
        f"/progress-updates/{update['id']}/attachments", files={"file": ("d.pdf", EVIDENCE)}
    )
    assert attached.status_code == 201, attached.text
    return str(attached.json()["id"])


def _restore(database_url: str, workdir: Path) -> str:
    """Back up `database_url` as docs/operations.md says and restore it into a new database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        copy = workdir / "restored.db"
        env = {**os.environ, "RECTRACK_DATABASE_URL": database_url}
        subprocess.run(  # noqa: S603
            [str(Path(sys.executable).with_name("rectrack")), "db", "backup", str(copy)],
            env=env, cwd=PROJECT_ROOT, check=True, capture_output=True,
        )  # fmt: skip
        return f"sqlite+aiosqlite:///{copy}"
    pg_dump, pg_restore = shutil.which("pg_dump"), shutil.which("pg_restore")
    if pg_dump is None or pg_restore is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but pg_dump and pg_restore are not installed")
        pytest.skip("pg_dump and pg_restore are not installed")
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    dump = workdir / "rectrack.dump"
    subprocess.run([pg_dump, "-Fc", "-f", str(dump), plain], check=True)  # noqa: S603
    name = f"rectrack_restored_{uuid.uuid4().hex[:8]}"
    asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"'))
    target = url.set(drivername="postgresql", database=name)
    subprocess.run(  # noqa: S603
        [pg_restore, "--no-owner", "-d", target.render_as_string(hide_password=False), str(dump)],
        check=True,
    )
    return target.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def test_a_restored_backup_equals_the_original(
    app: FastAPI, client: AsyncClient, database_url: str, tmp_path: Path
) -> None:
    evidence_id = await _fill(app, client)
    original = await _every_row(database_url)
    assert original["progress_update"]
    assert original["audit_record"]
    assert original["attachment"]
    restored_url = await asyncio.to_thread(_restore, database_url, tmp_path)
    # The files after the database, as docs/operations.md says.
    restored_files = tmp_path / "restored-files"
    shutil.copytree(storage_dir(app.state.settings), restored_files)
    try:
        assert await _every_row(restored_url) == original
        restored = create_app(
            Settings(
                database_url=restored_url,
                environment="test",
                # The original's key: the coordinator's token stays valid for the download.
                secret_key=app.state.settings.secret_key,
                import_worker=False,
                storage_dir=restored_files,
            )
        )
        async with AsyncClient(transport=ASGITransport(app=restored), base_url="http://t") as http:
            assert (await http.get("/readyz")).status_code == 200
            signed_in = {"Authorization": client.headers["Authorization"]}
            download = await http.get(f"/api/v1/attachments/{evidence_id}", headers=signed_in)
            assert download.status_code == 200, download.text
            assert download.content == EVIDENCE
        await restored.state.engine.dispose()
    finally:
        if restored_url.startswith("postgresql"):
            name = make_url(restored_url).database
            await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
