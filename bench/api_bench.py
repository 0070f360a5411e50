"""API latency at corpus scale, beside the bare SQL that returns the same data.

    .venv/bin/python -m bench.api_bench --records 500000            # PostgreSQL
    .venv/bin/python -m bench.api_bench --records 500000 --backend sqlite

Builds a scratch database (migrated, seeded, filled by bench.corpus: recommendations with their
tags and search documents, institutions, assignments and actions, a fifth of them overdue), then
calls the API in-process (httpx + ASGI, no network) and prints p50 / p99 per scenario in ms. On
PostgreSQL each scenario is also timed as hand-written SQL returning the same rows, through
asyncpg in the same run, and the API's p50 is given as a multiple of it. PostgreSQL comes from
RECTRACK_TEST_POSTGRES_URL (default: the local server); the scratch database is dropped after.
"""

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrations import upgrade_to_head
from app.reference.seed import seed_reference_data
from bench.corpus import CorpusWriter, clone_corpus

POSTGRES_URL = os.environ.get(
    "RECTRACK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
# Bare SQL returning what the list endpoint returns: the page and every tag, in one statement.
PAGE_SQL = """
SELECT r.id, r.uhri_id, r.symbol, r.paragraph, r.type, m.code, m.type, m.name,
       r.publication_date, r.text, r.upr_position, r.upr_cycle, r.upr_session, r.priority,
       r.status, r.archived, r.created_at, r.updated_at, r.version,
       ARRAY(SELECT country_iso3 FROM recommendation_country x WHERE x.recommendation_id = r.id),
       ARRAY(SELECT name FROM recommending_state x WHERE x.recommendation_id = r.id),
       ARRAY(SELECT t.id::text || t.label FROM recommendation_theme x JOIN theme t
             ON t.id = x.theme_id WHERE x.recommendation_id = r.id),
       ARRAY(SELECT a.id::text || a.label FROM recommendation_affected_person x
             JOIN affected_person a ON a.id = x.affected_person_id
             WHERE x.recommendation_id = r.id),
       ARRAY(SELECT goal_number FROM recommendation_sdg_goal x WHERE x.recommendation_id = r.id),
       ARRAY(SELECT target_code FROM recommendation_sdg_target x
             WHERE x.recommendation_id = r.id),
       ARRAY(SELECT c.id::text || c.name FROM cluster_recommendation x JOIN cluster c
             ON c.id = x.cluster_id WHERE x.recommendation_id = r.id)
FROM recommendation r JOIN mechanism m ON m.id = r.mechanism_id {join}
WHERE NOT r.archived {where}
ORDER BY {newest}
LIMIT 51
"""
NEWEST = "r.publication_date DESC, r.id DESC"
# One country's page is best read from its links, which carry the date (the API does the same).
BY_COUNTRY = {
    "join": "JOIN recommendation_country c ON c.recommendation_id = r.id AND c.country_iso3 = $1",
    "newest": "c.publication_date DESC, c.recommendation_id DESC",
}
IN_COUNTRY = (
    "AND r.id IN (SELECT recommendation_id FROM recommendation_country WHERE country_iso3 = $1)"
)
IN_GOAL = "AND r.sdg_goal_mask & $2 <> 0"  # the goal's bit: what the link table holds, joinless
MATCHING = (
    "AND r.id IN (SELECT recommendation_id FROM recommendation_search WHERE document LIKE $1)"
)
# The best hand-written forms of the progress figures. Filtered: one pass counting every goal by
# its bit in the goal mask (joining the link table instead takes about 0.9 s). Whole corpus: the
# tally the triggers keep. Both: overdue actions, each once, with the goals of its
# recommendations. The API runs the same.
_GOALS = range(1, 18)
COUNTED_SQL = (
    "SELECT r.status, r.upr_position, count(*), "
    + ", ".join(f"count(*) FILTER (WHERE r.sdg_goal_mask & {1 << (g - 1)} <> 0)" for g in _GOALS)
    + " FROM recommendation r WHERE NOT r.archived AND r.sdg_goal_mask <> 0 {where} GROUP BY 1, 2"
)
TALLY_SQL = (
    "SELECT goal, status, upr_position, recommendations FROM sdg_goal_tally "
    "WHERE recommendations <> 0"
)
OVERDUE_SQL = (
    "SELECT count(*), "
    + ", ".join(f"count(*) FILTER (WHERE mask & {1 << (g - 1)} <> 0)" for g in _GOALS)
    + """ FROM (SELECT bit_or(r.sdg_goal_mask) AS mask
       FROM action a
       JOIN action_recommendation ar ON ar.action_id = a.id
       JOIN recommendation r ON r.id = ar.recommendation_id
       WHERE a.due_date < current_date AND a.status NOT IN ('completed', 'cancelled')
       AND NOT r.archived AND r.sdg_goal_mask <> 0 {where} GROUP BY a.id) AS per_action"""
)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    params: dict[str, Any]
    sql: tuple[str, ...]
    args: tuple[Any, ...]


def scenarios(hot: str, rare: str, rec_id: str, crc: int) -> list[Scenario]:
    def page(where: str = "", join: str = "", newest: str = NEWEST) -> str:
        return PAGE_SQL.format(where=where, join=join, newest=newest)

    planned = 2  # the stored rank of "planned"
    return [
        Scenario("list, newest first", "/recommendations", {}, (page(where=""),), ()),
        Scenario("list, country (common)", "/recommendations", {"country": hot},
                 (page(**BY_COUNTRY),), (hot,)),
        Scenario("list, country (rare)", "/recommendations", {"country": rare},
                 (page(**BY_COUNTRY),), (rare,)),
        Scenario("list, country + sdg_goal", "/recommendations", {"country": hot, "sdg_goal": 5},
                 (page(where=IN_GOAL, **BY_COUNTRY),), (hot, 1 << 4)),
        Scenario("list, mechanism + status", "/recommendations",
                 {"mechanism": "CRC", "status": "planned"},
                 (page(where="AND r.mechanism_id = $1 AND r.status = $2"),), (crc, planned)),
        Scenario("list, q=torture", "/recommendations", {"q": "torture"},
                 (page(where=MATCHING),), ("%torture%",)),
        Scenario("list, q=酷刑 (2 chars)", "/recommendations", {"q": "酷刑"},
                 (page(where=MATCHING),), ("%酷刑%",)),
        Scenario("single read", f"/recommendations/{rec_id}", {},
                 (page(where="AND r.id = $1"),), (uuid.UUID(rec_id),)),
        Scenario("/progress/sdgs, whole corpus", "/progress/sdgs", {},
                 (TALLY_SQL, OVERDUE_SQL.format(where="")), ()),
        Scenario("/progress/sdgs, one country", "/progress/sdgs", {"country": hot},
                 tuple(q.format(where=IN_COUNTRY) for q in (COUNTED_SQL, OVERDUE_SQL)), (hot,)),
        # The floor under every row above: a request that runs one trivial query, on a pooled
        # connection, with no credentials, filters, transaction or read models.
        Scenario("floor: /readyz, one tiny query", "http://b/readyz", {},
                 ("SELECT version_num FROM alembic_version",), ()),
    ]  # fmt: skip


@asynccontextmanager
async def scratch_database(backend: str, keep: str | None) -> AsyncIterator[tuple[str, bool]]:
    """A database URL, and whether it still needs filling. `keep` names a PostgreSQL database
    that outlives the run, so that a corpus is written once and measured many times."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", True
        return
    name = keep or f"rectrack_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(
        make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
    if not exists:
        await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False), not exists
    finally:
        if keep is None:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def fill(url: str, records: int, base: int | None = None) -> float:
    """Write `records` realistic recommendations; or, with `base` (PostgreSQL), write `base`
    and clone them up to `records` (bench.corpus.clone_corpus)."""
    await asyncio.to_thread(upgrade_to_head, url)
    settings = Settings(database_url=url)
    engine = create_engine(settings)
    started = time.perf_counter()
    async with create_sessionmaker(engine)() as session:
        await seed_reference_data(session, settings.seeds_dir)
        await session.commit()
        await CorpusWriter(session).write(min(records, base or records))
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()
    if base is not None and records > base:
        raw = await asyncpg.connect(_dsn(url))
        try:
            await clone_corpus(raw, records)
        finally:
            await raw.close()
    return time.perf_counter() - started


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def timed_api(client: AsyncClient, scenario: Scenario, runs: int) -> list[float]:
    for _ in range(3):  # warm caches and the connection pool
        (await client.get(scenario.path, params=scenario.params)).raise_for_status()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(scenario.path, params=scenario.params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


async def timed_sql(connection: asyncpg.Connection, scenario: Scenario, runs: int) -> list[float]:
    async def once() -> None:
        for statement in scenario.sql:
            count = statement.count("$")
            await connection.fetch(statement, *scenario.args[: max(count, 0)] if count else ())

    for _ in range(3):
        await once()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await once()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(url: str, runs: int) -> None:
    # A key of its own: a run must not leave a generated key file behind.
    key = SecretStr(secrets.token_hex(32))
    app = create_app(Settings(database_url=url, import_worker=False, secret_key=key))
    is_postgres = url.startswith("postgresql")
    raw = await asyncpg.connect(_dsn(url)) if is_postgres else None
    print(f"{'scenario':32} {'API p50':>8} {'p99':>8} {'SQL p50':>8} {'p99':>8} {'API/SQL':>8}")
    transport = ASGITransport(app=app)
    # Start the app as a server does (its lifespan), which httpx's transport does not.
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://b/api/v1") as client,
    ):
        countries = (await client.get("/progress/countries")).json()["items"]
        hot, rare = countries[0]["key"], countries[-1]["key"]
        rec_id = (await client.get("/recommendations", params={"limit": 1})).json()["items"][0][
            "id"
        ]
        crc = (await client.get("/mechanisms/CRC")).json()
        assert crc["code"] == "CRC"
        crc_id = 0
        if raw is not None:
            crc_id = await raw.fetchval("SELECT id FROM mechanism WHERE code = 'CRC'")
        for scenario in scenarios(hot, rare, rec_id, crc_id):
            api = await timed_api(client, scenario, runs)
            line = f"{scenario.name:32} {statistics.median(api):8.1f} {_percentile(api, 0.99):8.1f}"
            if raw is not None:
                sql = await timed_sql(raw, scenario, runs)
                ratio = statistics.median(api) / statistics.median(sql)
                line += (
                    f" {statistics.median(sql):8.1f} {_percentile(sql, 0.99):8.1f} {ratio:7.1f}x"
                )
            print(line, flush=True)
    if raw is not None:
        await raw.close()
    await app.state.engine.dispose()


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def parse_arguments(doc: str | None, runs: int) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument(
        "--base", type=int, metavar="N",
        help="PostgreSQL only: write N realistic records, then clone them up to --records",
    )  # fmt: skip
    parser.add_argument(
        "--keep", metavar="DATABASE",
        help="PostgreSQL only: fill this database if it does not exist, and keep it afterwards",
    )  # fmt: skip
    return parser.parse_args()


async def on_corpus(
    args: argparse.Namespace, measure: Callable[[str, int], Awaitable[None]]
) -> None:
    """Fill a scratch database (or reuse a kept one) and run `measure(url, runs)` on it."""
    async with scratch_database(args.backend, args.keep) as (url, empty):
        if empty:
            seconds = await fill(url, args.records, args.base)
            print(f"{args.backend}: {args.records:,} recommendations written in {seconds:.0f} s")
        else:
            await asyncio.to_thread(upgrade_to_head, url)
        await measure(url, args.runs)


async def main() -> None:
    await on_corpus(parse_arguments(__doc__, runs=50), measure)


if __name__ == "__main__":
    asyncio.run(main())
