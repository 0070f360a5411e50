"""Near-duplicates at corpus scale: index rebuild, /similar and /duplicates for a large State.

    .venv/bin/python -m bench.duplicates_bench --records 100000            # PostgreSQL
    .venv/bin/python -m bench.duplicates_bench --records 20000 --backend sqlite

Fills a scratch database with bench.corpus (English and French texts, Chinese on a third), then
adds one State with --state-records recommendations of its own, a tenth of them light edits of
another of its recommendations (so that groups exist). `rectrack suggest rebuild --only
duplicates` runs in a subprocess (wall time and its peak RSS); then, in-process through the API,
p50/p95 of GET /recommendations/{id}/similar for recommendations of that State, then for
recommendations drawn from the whole corpus (with how many candidates each had), and of
GET /duplicates?country= for the State. A --keep corpus that has the State's records already is
used as it is; BENCH_NO_REBUILD=1 measures its index without rebuilding it first.
"""

import asyncio
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from typing import Any, cast

from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import Table, func, select, text

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.imports.bulk import bulk_insert
from app.main import create_app
from app.models.mechanism import Mechanism
from app.models.recommendation import Recommendation, RecommendationCountry
from bench.api_bench import _percentile, on_corpus, parse_arguments
from bench.corpus import _sentence, _vocabulary
from bench.tree_rss import run_measured

STATE = "ISL"  # not among bench.corpus's hot States: its records are all ours


def _edit(rng: random.Random, sentence: str) -> str:
    words = sentence.split()
    for _ in range(max(1, len(words) // 15)):
        del words[rng.randrange(len(words))]
    half = len(words) // 2
    if rng.random() < 0.5:
        words = words[half:] + words[:half]
    return " ".join(words)


async def add_state(url: str, count: int) -> None:
    """Write the State's records, unless a kept corpus (--keep) has them already."""
    engine = create_engine(Settings(database_url=url))
    rng = random.Random(7)
    vocabulary = _vocabulary(rng)
    async with create_sessionmaker(engine)() as session:
        there = await session.scalar(
            select(RecommendationCountry.recommendation_id)
            .where(RecommendationCountry.country_iso3 == STATE)
            .limit(1)
        )
        if there is not None:
            await engine.dispose()
            return
        mechanisms = list((await session.scalars(select(Mechanism.id))).all())
        recs: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for n in range(count):
            if n >= 10 and rng.random() < 0.1:
                source = rng.choice(recs)["text"]
                texts = {lang: _edit(rng, body) for lang, body in source.items()}
            else:
                texts = {
                    "en": _sentence(rng, vocabulary, rng.randint(15, 60)),
                    "fr": _sentence(rng, vocabulary, rng.randint(15, 60)),
                }
            date = dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 6500))
            rec_id = uuid.uuid4()
            recs.append({
                "id": rec_id, "symbol": f"X/{STATE}/{n}", "paragraph": str(n),
                "type": "recommendation", "mechanism_id": rng.choice(mechanisms),
                "publication_date": date, "text": texts, "status": "not_started",
                "archived": False, "version": 1, "sdg_goal_mask": 0,
            })  # fmt: skip
            links.append(
                {"recommendation_id": rec_id, "country_iso3": STATE, "publication_date": date}
            )
        await bulk_insert(session, cast(Table, Recommendation.__table__), recs)
        await bulk_insert(session, cast(Table, RecommendationCountry.__table__), links)
        await session.commit()
    await engine.dispose()


def rebuild(url: str) -> None:
    env = {**os.environ, "RECTRACK_DATABASE_URL": url}
    started = time.perf_counter()
    said, peak = run_measured(
        [sys.executable, "-m", "app.cli", "suggest", "rebuild", "--only", "duplicates"], env
    )
    seconds = time.perf_counter() - started
    print(f"rebuild: {said.strip()}; wall {seconds:.1f} s, peak RSS {peak:.0f} MiB (with workers)")


async def _state_size(session: Any, rec_id: str) -> int:
    states = select(RecommendationCountry.country_iso3).where(
        RecommendationCountry.recommendation_id == uuid.UUID(rec_id)
    )
    members = select(func.count(func.distinct(RecommendationCountry.recommendation_id))).where(
        RecommendationCountry.country_iso3.in_(states)
    )
    return int(await session.scalar(members) or 0)


async def timed(client: AsyncClient, path: str, params: dict[str, Any]) -> float:
    started = time.perf_counter()
    response = await client.get(path, params=params)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed


async def measure(url: str, runs: int, state_records: int) -> None:
    await add_state(url, state_records)
    engine = create_engine(Settings(database_url=url))
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
        total = (await connection.execute(text("SELECT count(*) FROM recommendation"))).scalar()
    await engine.dispose()
    print(f"corpus: {total:,} recommendations, {state_records:,} of them to {STATE}")
    if os.environ.get("BENCH_NO_REBUILD") != "1":  # measure a kept corpus's index as it is
        rebuild(url)
    engine = create_engine(Settings(database_url=url))
    async with engine.begin() as connection:
        count = text("SELECT count(*) FROM similarity_signature")
        rows = (await connection.execute(count)).scalar()
        size = (await connection.execute(text(
            "SELECT pg_size_pretty(pg_total_relation_size('similarity_signature'))"
            if connection.dialect.name == "postgresql" else "SELECT 'n/a'"
        ))).scalar()  # fmt: skip
    await engine.dispose()
    print(f"index: {rows:,} signature rows, {size} with its indexes")
    key = SecretStr(secrets.token_hex(32))
    app = create_app(Settings(database_url=url, import_worker=False, secret_key=key))
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b/api/v1") as client,
    ):
        ids = [
            item["id"]
            for item in (
                await client.get("/recommendations", params={"country": STATE, "limit": 100})
            ).json()["items"]
        ]
        rng = random.Random(3)
        samples = [
            await timed(client, f"/recommendations/{rng.choice(ids)}/similar", {})
            for _ in range(runs)
        ]
        print(
            f"similar (one {STATE} recommendation): p50 {statistics.median(samples):.1f} ms, "
            f"p95 {_percentile(samples, 0.95):.1f} ms over {runs}"
        )
        # Any recommendation: most concern one of bench.corpus's 40 busy States (about 13,000
        # recommendations each at 500,000, some to two or three of them at once).
        async with app.state.sessionmaker() as session:
            anywhere = [str(i) for i in (await session.scalars(
                select(Recommendation.id).order_by(func.random()).limit(runs)
            )).all()]  # fmt: skip
        sizes = []
        for rec_id in anywhere:
            async with app.state.sessionmaker() as session:
                sizes.append(await _state_size(session, rec_id))
        samples = [await timed(client, f"/recommendations/{i}/similar", {}) for i in anywhere]
        print(
            f"similar (any recommendation): p50 {statistics.median(samples):.1f} ms, "
            f"p95 {_percentile(samples, 0.95):.1f} ms over {runs}; candidates per call "
            f"(recommendations to its States): median {statistics.median(sizes):,.0f}, "
            f"max {max(sizes):,}"
        )
        dup = [await timed(client, "/duplicates", {"country": STATE}) for _ in range(5)]
        groups = (await client.get("/duplicates", params={"country": STATE})).json()["groups"]
        print(
            f"duplicates ({STATE}, {state_records:,} recommendations): p50 "
            f"{statistics.median(dup):.0f} ms, max {max(dup):.0f} ms over 5; {len(groups)} groups"
        )
    await app.state.engine.dispose()


async def main() -> None:
    sys.argv, state = _state_argument(sys.argv)
    args = parse_arguments(__doc__, runs=50)

    async def run(url: str, runs: int) -> None:
        await measure(url, runs, state)

    await on_corpus(args, run)


def _state_argument(argv: list[str]) -> tuple[list[str], int]:
    if "--state-records" in argv:
        i = argv.index("--state-records")
        return argv[:i] + argv[i + 2 :], int(argv[i + 1])
    return argv, 3000


if __name__ == "__main__":
    asyncio.run(main())
