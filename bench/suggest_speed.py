"""SDG suggestion speed at corpus scale: index rebuild (time, peak RSS) and suggestions for one
recommendation (p50/p95), on a generated corpus.

    .venv/bin/python -m bench.suggest_speed --records 100000            # PostgreSQL
    .venv/bin/python -m bench.suggest_speed --records 100000 --backend sqlite

bench.corpus writes the recommendations (English and French texts, Chinese on a third, one to six
SDG goals or targets); `rectrack suggest rebuild` runs in a child process, whose peak RSS is read
from the kernel (ru_maxrss of the children); then GET /recommendations/{id}/suggestions is called
in-process for random recommendations, and index.add (what an import does per batch) and
index.replace (what an edit that adds a tag does) are timed.
"""

import asyncio
import os
import random
import resource
import secrets
import statistics
import sys
import time
import uuid

from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import select

from app.config import Settings
from app.main import create_app
from app.models.recommendation import Recommendation
from app.recommendations.service import get_recommendation, suggestion_contribution
from app.suggestions import index
from bench.api_bench import _percentile, on_corpus, parse_arguments
from bench.tree_rss import run_measured


def rebuild_in_child(url: str) -> tuple[float, float, float, str]:
    """Wall time, CPU time (user + system: what a shared machine's load does not inflate) and
    peak RSS (the process and its workers together) of `rectrack suggest rebuild --only sdg`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "RECTRACK_DATABASE_URL": url, "RECTRACK_SECRET_KEY": secrets.token_hex(32)}
    started = time.perf_counter()
    said, peak = run_measured(
        [sys.executable, "-m", "app.cli", "suggest", "rebuild", "--only", "sdg"], env
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, cpu, peak, said.strip()


async def measure(url: str, runs: int) -> None:
    seconds, cpu, peak, said = rebuild_in_child(url)
    print(
        f"rebuild: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak:.0f} MiB ({said})",
        flush=True,
    )
    key = SecretStr(secrets.token_hex(32))
    app = create_app(Settings(database_url=url, import_worker=False, secret_key=key))
    transport = ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=transport, base_url="http://b/api/v1") as client,
    ):
        async with app.state.sessionmaker() as session:
            ids: list[uuid.UUID] = list(
                (await session.scalars(select(Recommendation.id).limit(20_000))).all()
            )
        rng = random.Random(7)
        for rec_id in rng.sample(ids, 3):  # warm the pool
            (await client.get(f"/recommendations/{rec_id}/suggestions")).raise_for_status()
        samples, cpu_samples = [], []
        for rec_id in rng.sample(ids, min(runs, len(ids))):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = await client.get(f"/recommendations/{rec_id}/suggestions")
            samples.append((time.perf_counter() - started) * 1000)
            cpu_samples.append((time.process_time() - cpu_started) * 1000)
            response.raise_for_status()
        print(
            f"suggestions for one recommendation: p50 {statistics.median(samples):.1f} ms,"
            f" p95 {_percentile(samples, 0.95):.1f} ms, max {max(samples):.1f} ms"
            f" ({len(samples)} recommendations); this process's CPU per call:"
            f" p50 {statistics.median(cpu_samples):.1f} ms,"
            f" p95 {_percentile(cpu_samples, 0.95):.1f} ms",
            flush=True,
        )
        batch = rng.sample(ids, min(1000, len(ids)))
        async with app.state.sessionmaker() as session, session.begin():
            started = time.perf_counter()
            added = await index.add(session, batch)
            took = time.perf_counter() - started
        print(f"index.add (an import batch): {added} recommendations in {took:.2f} s", flush=True)
        # What a PATCH that adds a tag to a tagged recommendation costs the index.
        moves = []
        for rec_id in rng.sample(ids, 20):
            async with app.state.sessionmaker() as session, session.begin():
                rec = await get_recommendation(session, rec_id)
                assert rec is not None
                before = suggestion_contribution(rec)
                if before is None:
                    continue
                after = index.Contribution(before.texts, before.keys | {"6.1", "g6"})
                started = time.perf_counter()
                await index.replace(session, rec_id, before, after)
                moves.append((time.perf_counter() - started) * 1000)
                await session.rollback()
        print(
            f"index.replace (a tag added by an edit): p50 {statistics.median(moves):.0f} ms, "
            f"max {max(moves):.0f} ms over {len(moves)}",
            flush=True,
        )
    await app.state.engine.dispose()


async def main() -> None:
    await on_corpus(parse_arguments(__doc__, runs=200), measure)


if __name__ == "__main__":
    asyncio.run(main())
