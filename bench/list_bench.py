"""Latency of the recommendations list at corpus scale, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.list_bench --records 500000 --backend sqlite --backend postgresql

Builds a scratch database per backend (migrated, seeded, filled by bench.corpus), then calls the
API in-process (httpx + ASGI, no network) and prints p50 / p99 per scenario in milliseconds.
PostgreSQL comes from RECTRACK_TEST_POSTGRES_URL (default: the local server); a scratch database
is created beside it and dropped afterwards.
"""

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrations import upgrade_to_head
from app.reference.seed import seed_reference_data
from bench.corpus import CorpusWriter

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
SCENARIOS: list[tuple[str, dict[str, Any]]] = [
    ("newest first", {}),
    ("country (common)", {"country": "{hot}"}),
    ("country (rare)", {"country": "{rare}"}),
    ("country + sdg_goal", {"country": "{hot}", "sdg_goal": 5}),
    ("mechanism + status", {"mechanism": "CRC", "status": "not_started"}),
    ("priority + sort=priority", {"priority": "high", "sort": "priority"}),
    ("q=torture", {"q": "torture"}),
    ("q=酷刑 (2 chars)", {"q": "酷刑"}),
    ("q=no match", {"q": "xyzzyplugh"}),
    ("country + include_total", {"country": "{hot}", "include_total": "true"}),
]


@asynccontextmanager
async def scratch_database(backend: str) -> AsyncIterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        return
    name = f"rectrack_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(
        make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def fill(url: str, records: int) -> float:
    await asyncio.to_thread(upgrade_to_head, url)
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    started = time.perf_counter()
    async with create_sessionmaker(engine)() as session:
        await seed_reference_data(session, settings.seeds_dir)
        await session.commit()
        await CorpusWriter(session).write(records)
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    return time.perf_counter() - started


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timed(client: AsyncClient, path: str, params: dict[str, Any], runs: int) -> list[float]:
    for _ in range(3):  # warm caches and connection pool
        (await client.get(path, params=params)).raise_for_status()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


async def measure(url: str, runs: int, records: int) -> list[tuple[str, float, float, int]]:
    app = create_app(Settings(database_url=url))
    results = []
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://b/api/v1") as client:
        countries = (await client.get("/countries", params={"limit": 200})).json()["items"]
        hot, rare = countries[0]["iso3"], countries[150]["iso3"]
        for name, raw in SCENARIOS:
            params = {k: (v.format(hot=hot, rare=rare) if isinstance(v, str) else v)
                      for k, v in raw.items()}  # fmt: skip
            samples = await timed(client, "/recommendations", params, runs)
            page = (await client.get("/recommendations", params=params)).json()
            results.append((name, statistics.median(samples), _percentile(samples, 0.99),
                            len(page["items"])))  # fmt: skip
        first = (await client.get("/recommendations", params={"limit": 1})).json()["items"][0]
        samples = await timed(client, f"/recommendations/{first['id']}", {}, runs)
        results.append(("single read", statistics.median(samples), _percentile(samples, 0.99), 1))
        cursor = None
        deep = min(200, records // 50 - 1)
        for _ in range(deep):  # far into the default listing
            page = (
                await client.get("/recommendations", params={"cursor": cursor} if cursor else {})
            ).json()
            cursor = page["next_cursor"]
        samples = await timed(client, "/recommendations", {"cursor": cursor}, runs)
        results.append(
            ("page 201 (keyset)", statistics.median(samples), _percentile(samples, 0.99), 50)
        )
    await app.state.engine.dispose()
    return results


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    for backend in args.backend or ["sqlite", "postgresql"]:
        async with scratch_database(backend) as url:
            seconds = await fill(url, args.records)
            print(f"\n{backend}: {args.records:,} recommendations written in {seconds:.0f} s")
            print(f"{'scenario':32} {'p50 ms':>8} {'p99 ms':>8} {'items':>6}")
            for name, p50, p99, items in await measure(url, args.runs, args.records):
                print(f"{name:32} {p50:8.1f} {p99:8.1f} {items:6}")


if __name__ == "__main__":
    asyncio.run(main())
