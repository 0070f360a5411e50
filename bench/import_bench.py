"""Import speed and memory on UHRI-sized files, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.import_bench --records 500000

For each backend: a scratch database (migrated, seeded); `rectrack import` of a synthetic export
in a subprocess (wall time, records/s, peak RSS); the same file again (nothing changes); and, on
PostgreSQL, a plain COPY of the same rows into bare tables (no index, no constraint) as the
physical limit. PostgreSQL comes from RECTRACK_TEST_POSTGRES_URL (default: the local server).
"""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.migrations import upgrade_to_head
from bench.uhri_export import write_export

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
TABLES = (
    "recommendation", "recommendation_search", "recommendation_country", "recommending_state",
    "recommendation_sdg_goal", "recommendation_sdg_target", "recommendation_theme",
    "recommendation_affected_person",
)  # fmt: skip


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _rectrack(url: str, *args: str) -> tuple[float, int, str]:
    """Run the CLI; return wall seconds, the child's peak RSS in MiB, and its last line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env={**os.environ, "RECTRACK_DATABASE_URL": url}, cwd=PROJECT_ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    lines = result.stdout.strip().splitlines()
    return seconds, max(peak, before) // 1024, lines[-1] if lines else ""


async def _copy_baseline(database: str, workdir: Path, indexed: bool) -> float:
    """Seconds to COPY the imported rows into copies of the tables: bare (what the disk and server
    allow), or with the same indexes (what maintaining them costs, the trigram index above all)."""
    connection = await asyncpg.connect(_dsn(POSTGRES_URL, database))
    prefix = "indexed" if indexed else "bare"
    including = " INCLUDING INDEXES" if indexed else ""
    try:
        for table in TABLES:
            binary = workdir / f"{table}.bin"
            if not binary.exists():
                await connection.copy_from_table(table, output=str(binary), format="binary")
            await connection.execute(f'CREATE TABLE "{prefix}_{table}" (LIKE "{table}"{including})')
        started = time.perf_counter()
        for table in TABLES:
            await connection.copy_to_table(
                f"{prefix}_{table}", source=str(workdir / f"{table}.bin"), format="binary"
            )
        return time.perf_counter() - started
    finally:
        await connection.close()


def _run(backend: str, url: str, export: Path, records: int, workdir: Path) -> None:
    upgrade_to_head(url)
    _rectrack(url, "seed")
    first, rss, counts = _rectrack(url, "import", str(export))
    print(f"{backend:10} first import   {first:8.1f} s  {records / first:9,.0f} rec/s  "
          f"peak RSS {rss:4d} MiB   {counts}")  # fmt: skip
    again, rss2, counts2 = _rectrack(url, "import", str(export))
    print(f"{backend:10} re-import      {again:8.1f} s  {records / again:9,.0f} rec/s  "
          f"peak RSS {rss2:4d} MiB   {counts2}   ({first / again:.1f}x faster)")  # fmt: skip
    if backend == "postgresql":
        database = make_url(url).database
        assert database
        for indexed, name in ((False, "COPY, bare"), (True, "COPY, indexed")):
            seconds = asyncio.run(_copy_baseline(database, workdir, indexed))
            print(f"{backend:10} {name:14} {seconds:8.1f} s  {records / seconds:9,.0f} rec/s"
                  f"   import = {first / seconds:.1f}x this")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        export = workdir / "export-full-en.json"
        started = time.perf_counter()
        write_export(export, args.records)
        size = export.stat().st_size / 1024**2
        print(f"synthetic export: {args.records:,} records, {size:,.0f} MB, "
              f"written in {time.perf_counter() - started:.0f} s")  # fmt: skip
        for backend in args.backend or ["sqlite", "postgresql"]:
            if backend == "sqlite":
                _run(
                    backend,
                    f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
                    export,
                    args.records,
                    workdir,
                )
                continue
            name = f"rectrack_importbench_{uuid.uuid4().hex[:8]}"
            subprocess.run(
                ["psql", _dsn(POSTGRES_URL), "-qc", f'CREATE DATABASE "{name}"'], check=True
            )
            try:
                _run(backend, _dsn(POSTGRES_URL, name).replace("postgresql://", "postgresql+asyncpg://"),
                     export, args.records, workdir)  # fmt: skip
            finally:
                subprocess.run(
                    [
                        "psql",
                        _dsn(POSTGRES_URL),
                        "-qc",
                        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    ],
                    check=True,
                )


if __name__ == "__main__":
    main()
