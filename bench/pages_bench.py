"""Workspace pages' server time at corpus scale, beside the API's for the same queries.

    .venv/bin/python -m bench.pages_bench --records 500000            # PostgreSQL
    .venv/bin/python -m bench.pages_bench --records 200000 --keep rectrack_pages_bench

Builds (or, with --keep, reuses) a scratch database filled by bench.corpus, as bench.api_bench
does, then requests each page in-process (httpx + ASGI, no network; the time a server spends) as
a signed-out visitor and prints p50 / p95 / p99 in ms, beside the API call that answers the same
query and the floor under both: bench.api_bench's hand-written SQL for that query, through
asyncpg in the same run (for `/`, the SQL of /progress/sdgs: the page adds its counts by status
and the overdue actions' list). The last row is the floor of any request: /readyz, one tiny
query. The goals of issue 17 at 500,000 recommendations on PostgreSQL: p95 of `/` ≤ 200 ms,
of `/recommendations` with a filter and with a search ≤ 150 ms, of `/recommendations/{id}` ≤
100 ms.
"""

import asyncio
import secrets
import statistics
import time
from dataclasses import dataclass
from typing import Any

import asyncpg
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr

from app.config import Settings
from app.main import create_app
from bench.api_bench import _dsn, _percentile, on_corpus, parse_arguments, scenarios, timed_sql

# The goals of issue 17 for the pages' p95, in ms.
GOALS = {"/": 200.0, "filter": 150.0, "search": 150.0, "detail": 100.0}


@dataclass(frozen=True)
class Pair:
    name: str
    page: str
    page_params: dict[str, Any]
    api: str
    api_params: dict[str, Any]
    goal: float
    floor: str  # the name of bench.api_bench's scenario whose SQL answers the same query


def pairs(hot: str, rec_id: str) -> list[Pair]:
    return [
        Pair("/ (overview)", "/", {}, "/api/v1/progress/sdgs", {}, GOALS["/"],
             "/progress/sdgs, whole corpus"),
        Pair("list, country", "/recommendations", {"country": hot},
             "/api/v1/recommendations", {"country": hot}, GOALS["filter"],
             "list, country (common)"),
        Pair("list, country + sdg_goal", "/recommendations", {"country": hot, "sdg_goal": 5},
             "/api/v1/recommendations", {"country": hot, "sdg_goal": 5}, GOALS["filter"],
             "list, country + sdg_goal"),
        Pair("list, q=torture", "/recommendations", {"q": "torture"},
             "/api/v1/recommendations", {"q": "torture"}, GOALS["search"], "list, q=torture"),
        Pair("list, q=酷刑", "/recommendations", {"q": "酷刑"},
             "/api/v1/recommendations", {"q": "酷刑"}, GOALS["search"], "list, q=酷刑 (2 chars)"),
        Pair("detail", f"/recommendations/{rec_id}", {},
             f"/api/v1/recommendations/{rec_id}", {}, GOALS["detail"], "single read"),
        Pair("floor: /readyz", "/readyz", {}, "/readyz", {}, 0.0,
             "floor: /readyz, one tiny query"),
    ]  # fmt: skip


async def timed(client: AsyncClient, path: str, params: dict[str, Any], runs: int) -> list[float]:
    for _ in range(3):  # warm caches and the connection pool
        (await client.get(path, params=params)).raise_for_status()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(path, params=params)
        samples.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return samples


def _figures(samples: list[float]) -> str:
    p50, p95, p99 = (
        statistics.median(samples), _percentile(samples, 0.95), _percentile(samples, 0.99)
    )  # fmt: skip
    return f"{p50:8.1f} {p95:8.1f} {p99:8.1f}"


async def measure(url: str, runs: int) -> None:
    key = SecretStr(secrets.token_hex(32))
    app = create_app(Settings(database_url=url, import_worker=False, secret_key=key))
    raw = await asyncpg.connect(_dsn(url))
    print(
        f"{'scenario':26} {'page p50':>8} {'p95':>8} {'p99':>8}   {'API p50':>8} {'p95':>8} "
        f"{'p99':>8}   {'SQL p50':>8} {'p95':>8}  {'page/API':>8} {'goal p95':>9}"
    )
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b") as client,
    ):
        countries = (await client.get("/api/v1/progress/countries")).json()["items"]
        hot = countries[0]["key"]
        first = await client.get("/api/v1/recommendations", params={"limit": 1})
        rec_id = first.json()["items"][0]["id"]
        crc = await raw.fetchval("SELECT id FROM mechanism WHERE code = 'CRC'")
        floors = {s.name: s for s in scenarios(hot, hot, rec_id, crc)}
        for pair in pairs(hot, rec_id):
            page = await timed(client, pair.page, pair.page_params, runs)
            api = await timed(client, pair.api, pair.api_params, runs)
            sql = await timed_sql(raw, floors[pair.floor], runs)
            ratio = statistics.median(page) / statistics.median(api)
            sql_figures = f"{statistics.median(sql):8.1f} {_percentile(sql, 0.95):8.1f}"
            met = (
                ""
                if not pair.goal
                else "met"
                if _percentile(page, 0.95) <= pair.goal
                else "NOT met"
            )
            print(
                f"{pair.name:26} {_figures(page)}   {_figures(api)}   {sql_figures}  "
                f"{ratio:7.1f}x {pair.goal:6.0f} {met}",
                flush=True,
            )
    await raw.close()
    await app.state.engine.dispose()


async def main() -> None:
    await on_corpus(parse_arguments(__doc__, runs=60), measure)


if __name__ == "__main__":
    asyncio.run(main())
