"""Exports of the whole corpus through the served app, beside a bare COPY of the same columns.

    .venv/bin/python -m bench.export_bench --records 500000
    .venv/bin/python -m bench.export_bench --records 500000 --keep rectrack_export_bench

PostgreSQL only (RECTRACK_TEST_POSTGRES_URL, default the local server). Builds a scratch
database: bench.corpus writes a few thousand realistic recommendations (tags, institutions, lead
assignments), then INSERT … SELECT clones them, links and all, up to --records, and a few
clusters are added. Then, for each format, a fresh `rectrack serve` process streams
GET /api/v1/recommendations/export to a client that counts the bytes; the server's peak RSS
(VmHWM) is read when it is done. In the same run, `COPY (the export's own query) TO STDOUT`
through asyncpg is the floor each time is compared with; for XLSX, XlsxWriter alone writing the
same rows (already in memory) is timed too.
"""

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.exports import service
from app.exports.formats import xlsx_stream
from app.migrations import upgrade_to_head
from app.recommendations.filters import RecommendationFilters
from app.reference.seed import seed_reference_data
from bench.corpus import CorpusWriter

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BASE = 5000  # realistic records written one by one; the rest are clones of them
LINKS = [
    ("recommendation_country", "country_iso3, publication_date"),
    ("recommending_state", "name"),
    ("recommendation_sdg_goal", "goal_number, direct"),
    ("recommendation_sdg_target", "target_code"),
    ("recommendation_theme", "theme_id"),
    ("recommendation_affected_person", "affected_person_id"),
]


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _fill(url: str, records: int) -> float:
    started = time.perf_counter()
    await asyncio.to_thread(upgrade_to_head, url)
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        await seed_reference_data(session, settings.seeds_dir)
        await session.commit()
        await CorpusWriter(session).write(min(BASE, records))
    await engine.dispose()
    copies = max(0, -(-records // BASE) - 1)
    connection = await asyncpg.connect(_dsn(url))
    try:
        columns = [
            name
            for (name,) in await connection.fetch(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'recommendation' AND column_name NOT IN ('id', 'uhri_id') "
                "ORDER BY ordinal_position"
            )
        ]
        async with connection.transaction():
            await connection.execute(
                "CREATE TEMP TABLE clone AS SELECT r.id AS src, gen_random_uuid() AS id, k "
                f"FROM recommendation r, generate_series(1, {copies}) AS k"
            )
            await connection.execute(
                f"DELETE FROM clone WHERE id IN (SELECT id FROM clone ORDER BY k DESC, id "
                f"LIMIT greatest(0, (SELECT count(*) FROM clone) + {BASE} - {records}))"
            )
            listed = ", ".join(columns)
            await connection.execute(
                f"INSERT INTO recommendation (id, uhri_id, {listed}) "
                f"SELECT c.id, r.uhri_id || '-' || c.k, {', '.join('r.' + n for n in columns)} "
                "FROM clone c JOIN recommendation r ON r.id = c.src"
            )
            for table, kept in LINKS:
                await connection.execute(
                    f"INSERT INTO {table} (recommendation_id, {kept}) "
                    f"SELECT c.id, {', '.join('x.' + n.strip() for n in kept.split(','))} "
                    f"FROM clone c JOIN {table} x ON x.recommendation_id = c.src"
                )
            await connection.execute(
                "INSERT INTO assignment (id, recommendation_id, institution_id, role, due_date, "
                "created_at, updated_at, version) SELECT gen_random_uuid(), c.id, "
                "a.institution_id, a.role, date '2027-06-30', now(), now(), 1 "
                "FROM clone c JOIN assignment a ON a.recommendation_id = c.src"
            )
            await connection.execute(
                "INSERT INTO cluster (id, name, archived, created_at, updated_at, version) "
                "SELECT gen_random_uuid(), 'Cluster ' || n, false, now(), now(), 1 "
                "FROM generate_series(1, 12) AS n"
            )
            await connection.execute(
                "INSERT INTO cluster_recommendation (cluster_id, recommendation_id) "
                "SELECT c.id, r.id FROM recommendation r JOIN cluster c "
                "ON c.name = 'Cluster ' || (1 + abs(hashtext(r.id::text)) % 40) "
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _served(url: str, fmt: str) -> tuple[float, int, float, float]:
    """Seconds to download the export, its bytes, the server's RSS before and its peak."""
    port = _free_port()
    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": url,
        "RECTRACK_SECRET_KEY": secrets.token_urlsafe(32),
        "RECTRACK_IMPORT_WORKER": "false",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app.cli", "serve", "--port", str(port),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=600) as client:
            for _ in range(200):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            before = _peak_rss_mib(server.pid)
            size = 0
            started = time.perf_counter()
            params = {"format": fmt}
            async with client.stream("GET", "/api/v1/recommendations/export", params=params) as r:
                assert r.status_code == 200, r.status_code
                async for chunk in r.aiter_raw():
                    size += len(chunk)
            elapsed = time.perf_counter() - started
        return elapsed, size, before, _peak_rss_mib(server.pid)
    finally:
        server.terminate()
        await server.wait()


def _copy_sql() -> str:
    stmt = service.recommendation_export_sql("postgresql", RecommendationFilters(), "en")
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return str(compiled)


async def _copy(url: str) -> tuple[float, int]:
    connection = await asyncpg.connect(_dsn(url))
    size = 0

    async def sink(chunk: bytes) -> None:
        nonlocal size
        size += len(chunk)

    try:
        started = time.perf_counter()
        await connection.copy_from_query(_copy_sql(), output=sink, format="csv")
        return time.perf_counter() - started, size
    finally:
        await connection.close()


async def _xlsx_alone(url: str) -> float:
    """XlsxWriter writing the export's rows, read into memory first: the library's own cost."""
    engine = create_engine(Settings(database_url=url))
    batches: list[Any] = [
        batch
        async for batch in service.recommendation_batches(
            create_sessionmaker(engine), RecommendationFilters(), "-publication_date", "en"
        )
    ]
    await engine.dispose()

    async def replay() -> Any:
        for batch in batches:
            yield batch

    started = time.perf_counter()
    async for _ in xlsx_stream("Recommendations", service.RECOMMENDATION_COLUMNS, replay()):
        pass
    return time.perf_counter() - started


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--keep", help="a database kept between runs (filled on the first)")
    parser.add_argument("--formats", default="csv,ndjson,xlsx")
    parser.add_argument(
        "--xlsx-floor", action="store_true",
        help="also time XlsxWriter alone (holds every row in memory: about 2 GB for 500,000)",
    )  # fmt: skip
    args = parser.parse_args()
    name = args.keep or f"rectrack_export_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(_dsn(POSTGRES_URL))
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    if not exists:
        await admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    url_text = url.render_as_string(hide_password=False)
    try:
        if not exists:
            filled = await _fill(url_text, args.records)
            print(f"filled {args.records:,} recommendations in {filled:.0f} s")
        copy_seconds, copy_bytes = await _copy(url_text)
        mib = copy_bytes / 2**20
        print(f"COPY (the export's query) TO STDOUT: {copy_seconds:6.1f} s  {mib:7.1f} MiB")
        for fmt in args.formats.split(","):
            seconds, size, before, peak = await _served(url_text, fmt)
            print(
                f"{fmt:6s} through the app: {seconds:6.1f} s  {size / 2**20:7.1f} MiB  "
                f"{seconds / copy_seconds:4.1f}x COPY  server RSS {before:.0f} MiB at rest, "
                f"peak {peak:.0f} MiB"
            )
            if fmt == "xlsx" and args.xlsx_floor:
                alone = await _xlsx_alone(url_text)
                print(
                    f"xlsx   XlsxWriter alone, rows in memory: {alone:6.1f} s  "
                    f"{alone / copy_seconds:4.1f}x COPY"
                )
        # Rerun COPY last: the machine is shared, so the floor is taken twice, and the lower kept.
        again, _ = await _copy(url_text)
        print(f"COPY again: {again:6.1f} s")
    finally:
        if args.keep is None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
