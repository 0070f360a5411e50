"""A UPR mid-term report for a State with 2,000 recommendations, 400 actions and 300 validated
progress updates (issue 18: DOCX under 10 s, HTML under 3 s).

    .venv/bin/python -m bench.report_bench                      # PostgreSQL
    .venv/bin/python -m bench.report_bench --backend sqlite
    .venv/bin/python -m bench.report_bench --keep rectrack_report_bench   # build once, rerun

Builds a scratch database (migrated, seeded, a background corpus from bench.corpus so that the
State's rows are a minority), adds the State: its cycle-3 UPR recommendations with texts in two
or three languages, themes, goals, clusters, lead and supporting institutions, actions,
indicators with measurements, validated updates with narratives and, beside them, drafts and
submissions that the report must skip. Then asks POST /api/v1/reports for each format in-process
(httpx + ASGI, a viewer's token) and prints the median of the runs, the file's size, and the
report's parts timed apart: reading the database, composing the outline, writing the file.
"""

import argparse
import asyncio
import datetime as dt
import random
import secrets
import statistics
import time
import uuid
from typing import Any, cast

from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import Table, select, text

from app.auth.security import hash_password, issue_access_token
from app.clock import today
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.imports.bulk import bulk_insert
from app.main import create_app
from app.models.action import Action, ActionRecommendation
from app.models.assignment import Assignment
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.country import Country
from app.models.indicator import Indicator, IndicatorRecommendation, Measurement
from app.models.institution import Institution
from app.models.mechanism import Mechanism
from app.models.progress_update import ProgressUpdate
from app.models.recommendation import (
    Recommendation,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationTheme,
    RecommendingState,
    goal_mask,
)
from app.models.taxonomy import Theme
from app.models.user import Role, User
from app.reports.content import build_report
from app.reports.output import WRITERS
from app.reports.schemas import ReportRequest
from app.reports.service import load_report
from bench.api_bench import fill, scratch_database
from bench.corpus import _sentence, _vocabulary

STATE = "ZZB"  # a State of its own, so that the report holds exactly what is written here
ASSESSMENTS = ["in_progress", "partially_implemented", "implemented"]


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


async def add_state(url: str, recommendations: int, actions: int, validated: int) -> None:
    rng = random.Random(7)
    words = _vocabulary(rng)
    engine = create_engine(Settings(database_url=url))
    async with create_sessionmaker(engine)() as session:
        session.add(Country(iso3=STATE, iso2="ZZ", region=None,
                            name={"en": "Benchland", "fr": "Benchlande"}, aliases=[]))  # fmt: skip
        await session.flush()
        upr = await session.scalar(select(Mechanism.id).where(Mechanism.code == "UPR"))
        themes = list((await session.scalars(select(Theme.id))).all())
        states = list((await session.scalars(select(Country.iso3))).all())[:80]
        recs: list[dict[str, Any]] = []
        links: dict[str, list[dict[str, Any]]] = {
            "country": [],
            "state": [],
            "theme": [],
            "goal": [],
        }
        for n in range(recommendations):
            rec_id = uuid.uuid4()
            goals = set(rng.sample(range(1, 18), rng.randint(0, 2)))
            texts = {"en": _sentence(rng, words, rng.randint(20, 60)),
                     "fr": _sentence(rng, words, rng.randint(20, 60))}  # fmt: skip
            if n % 3 == 0:
                texts["ar"] = "تعزيز استقلال السلطة القضائية وضمان حقوق الطفل " * rng.randint(1, 3)
            recs.append({
                "id": rec_id, "symbol": "A/HRC/52/10",
                "paragraph": f"{130 + n // 250}.{n % 250 + 1}",
                "type": "recommendation", "mechanism_id": upr,
                "publication_date": dt.date(2023, 3, 1), "text": texts,
                "upr_position": "supported" if rng.random() < 0.7 else "noted", "upr_cycle": 3,
                "upr_session": 42, "status": "not_started", "archived": False, "version": 1,
                "sdg_goal_mask": goal_mask(goals),
            })  # fmt: skip
            links["country"].append({"recommendation_id": rec_id, "country_iso3": STATE,
                                     "publication_date": dt.date(2023, 3, 1)})  # fmt: skip
            for name in rng.sample(states, rng.randint(1, 3)):
                links["state"].append({"recommendation_id": rec_id, "name": name})
            for theme in rng.sample(themes, rng.randint(1, 2)):
                links["theme"].append({"recommendation_id": rec_id, "theme_id": theme})
            for goal in goals:
                links["goal"].append({"recommendation_id": rec_id, "goal_number": goal,
                                      "direct": True})  # fmt: skip
        await bulk_insert(session, _table(Recommendation), recs)
        for key, model in (
            ("country", RecommendationCountry),
            ("state", RecommendingState),
            ("theme", RecommendationTheme),
            ("goal", RecommendationSdgGoal),
        ):
            await bulk_insert(session, _table(model), links[key])  # fmt: skip
        ids = [r["id"] for r in recs]

        institutions = [{"id": uuid.uuid4(), "name": f"Ministry of Bench Affairs {n}",
                         "kind": "ministry", "archived": False, "version": 1}
                        for n in range(30)]  # fmt: skip
        await bulk_insert(session, _table(Institution), institutions)
        assignments = []
        for rec in ids[: recommendations * 3 // 4]:
            lead, support = rng.sample(institutions, 2)
            assignments.append({"id": uuid.uuid4(), "recommendation_id": rec, "role": "lead",
                                "institution_id": lead["id"], "version": 1,
                                "due_date": dt.date(2027, 6, 30)})  # fmt: skip
            if rng.random() < 0.3:
                assignments.append({"id": uuid.uuid4(), "recommendation_id": rec,
                                    "role": "support", "institution_id": support["id"],
                                    "version": 1, "due_date": None})  # fmt: skip
        await bulk_insert(session, _table(Assignment), assignments)
        clusters = [{"id": uuid.uuid4(), "name": f"Cluster {n:02d}", "archived": False,
                     "version": 1} for n in range(20)]  # fmt: skip
        await bulk_insert(session, _table(Cluster), clusters)
        members = []
        for rec in ids:
            for cluster in rng.sample(clusters, rng.choice([0, 1, 1, 1, 2])):
                members.append({"cluster_id": cluster["id"], "recommendation_id": rec})
        await bulk_insert(session, _table(ClusterRecommendation), members)

        action_rows, action_links = [], []
        for n in range(actions):
            action_id = uuid.uuid4()
            action_rows.append({
                "id": action_id, "title": f"Action {n}: " + _sentence(rng, words, 8),
                "institution_id": rng.choice(institutions)["id"],
                "start_date": dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 300)),
                "due_date": dt.date(2025, 1, 1) + dt.timedelta(days=rng.randint(0, 900)),
                "status": rng.choice(["planned", "in_progress", "completed"]), "version": 1,
            })  # fmt: skip
            for rec in rng.sample(ids, rng.randint(1, 3)):
                action_links.append({"action_id": action_id, "recommendation_id": rec})
        await bulk_insert(session, _table(Action), action_rows)
        await bulk_insert(session, _table(ActionRecommendation), action_links)

        indicators, indicator_links, measurements = [], [], []
        for n in range(100):
            indicator_id = uuid.uuid4()
            indicators.append({"id": indicator_id, "name": f"Indicator {n}", "unit": "%",
                               "baseline": 10.0, "baseline_date": dt.date(2023, 1, 1),
                               "target": 60.0, "target_date": dt.date(2027, 1, 1),
                               "direction": "increase", "version": 1})  # fmt: skip
            for rec in rng.sample(ids, rng.randint(1, 5)):
                indicator_links.append({"indicator_id": indicator_id, "recommendation_id": rec})
            for month in range(3):
                measurements.append({"id": uuid.uuid4(), "indicator_id": indicator_id,
                                     "date": dt.date(2024, 1 + 4 * month, 1),
                                     "value": 10.0 + 8 * month, "version": 1})  # fmt: skip
        await bulk_insert(session, _table(Indicator), indicators)
        await bulk_insert(session, _table(IndicatorRecommendation), indicator_links)
        await bulk_insert(session, _table(Measurement), measurements)

        updates = []
        at = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
        for n, rec in enumerate(rng.sample(ids, validated + 200)):
            state = "validated" if n < validated else rng.choice(["draft", "submitted"])
            updates.append({
                "id": uuid.uuid4(), "recommendation_id": rec,
                "assessment": rng.choice(ASSESSMENTS), "version": 1,
                "narrative": _sentence(rng, words, rng.randint(30, 120)), "evidence": [],
                "state": state,
                "validated_at": at + dt.timedelta(hours=n) if n < validated else None,
            })  # fmt: skip
        await bulk_insert(session, _table(ProgressUpdate), updates)
        await session.commit()
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    await engine.dispose()


async def measure(url: str, runs: int) -> None:
    key = SecretStr(secrets.token_hex(32))
    settings = Settings(database_url=url, import_worker=False, secret_key=key)
    app = create_app(settings)
    # Signs in with a token only: the hash of a random password nobody keeps.
    unusable = hash_password(secrets.token_urlsafe(32), settings)
    email = f"bench-viewer-{uuid.uuid4().hex[:8]}@example.org"
    viewer = User(id=uuid.uuid4(), email=email, name="Bench",
                  password_hash=unusable, role=Role.viewer, active=True,
                  session_version=1)  # fmt: skip
    async with app.state.sessionmaker() as session, session.begin():
        session.add(viewer)
    headers = {"Authorization": f"Bearer {issue_access_token(viewer.id, 1, app.state.settings)}"}
    body = {"kind": "upr_midterm", "country": STATE, "cycle": 3, "group_by": "cluster"}
    # CPU seconds of this process beside the wall time: on a shared machine the wall time says
    # as much about the neighbours as about the report.
    print(f"{'format':8} {'median s':>9} {'min s':>7} {'CPU s':>7} {'size':>10}")
    async with (
        app.router.lifespan_context(app),
        AsyncClient(transport=ASGITransport(app=app), base_url="http://b/api/v1") as client,
    ):
        # A first report loads what every later one shares (catalogues, locale data, templates).
        warm = await client.post("/reports", json={**body, "format": "md"}, headers=headers)
        warm.raise_for_status()
        for fmt in ("docx", "html", "md"):
            samples, cpu, size = [], [], 0
            for _ in range(runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = await client.post("/reports", json={**body, "format": fmt},
                                             headers=headers)  # fmt: skip
                samples.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                response.raise_for_status()
                size = len(response.content)
            print(f"{fmt:8} {statistics.median(samples):9.2f} {min(samples):7.2f} "
                  f"{statistics.median(cpu):7.2f} {size:10,}", flush=True)  # fmt: skip
        # The parts, once each.
        request = ReportRequest.model_validate({**body, "format": "docx"})
        async with app.state.sessionmaker() as session:
            started = time.perf_counter()
            data = await load_report(session, request, today())
            loaded = time.perf_counter()
        report = build_report(data, "en")
        built = time.perf_counter()
        timings = {}
        for fmt, write in WRITERS.items():
            began = time.perf_counter()
            write(report)
            timings[fmt] = time.perf_counter() - began
        updates = sum(1 for e in data.entries if e.update)
        actions = len({(a.title) for e in data.entries for a in e.actions})
        print(f"recommendations {len(data.entries)}, distinct actions shown {actions}, "
              f"recommendations with validated progress {updates}")  # fmt: skip
        print(
            f"read {loaded - started:.2f} s, compose {built - loaded:.2f} s, write "
            + ", ".join(f"{fmt} {seconds:.2f} s" for fmt, seconds in timings.items())
        )
    await app.state.engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--background", type=int, default=50_000,
                        help="recommendations of other States")  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", help="a PostgreSQL database to build once and keep")
    args = parser.parse_args()
    async with scratch_database(args.backend, args.keep) as (url, empty):
        if empty:
            started = time.perf_counter()
            await fill(url, args.background)
            await add_state(url, recommendations=2000, actions=400, validated=300)
            print(f"built in {time.perf_counter() - started:.0f} s ({args.backend}, "
                  f"{args.background:,} other recommendations)", flush=True)  # fmt: skip
        await measure(url, args.runs)


if __name__ == "__main__":
    asyncio.run(main())
