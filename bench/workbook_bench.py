"""The plan workbook's round trip for an institution with 500 assigned recommendations
(issue 18: download under 3 s, upload and apply under 10 s).

    .venv/bin/python -m bench.workbook_bench                    # PostgreSQL
    .venv/bin/python -m bench.workbook_bench --backend sqlite
    .venv/bin/python -m bench.workbook_bench --profile          # where the upload's time goes

Builds a scratch database with one institution: 500 assigned recommendations, 100 of its
actions, 50 indicators; a focal point downloads its workbook in-process (httpx + ASGI), every
row is filled in (each action's status, each indicator's new value, an assessment, narrative
and link on every recommendation), and the workbook is uploaded as a dry run, then for real,
then again (which must create nothing). Prints wall and CPU seconds and SQL statements per step.
"""

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import pstats
import secrets
import time
import uuid
from collections import Counter
from typing import Any

import openpyxl
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import event, select

from app.auth.security import hash_password, issue_access_token
from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.main import create_app
from app.migrations import upgrade_to_head
from app.models.action import Action, ActionRecommendation, ActionStatus
from app.models.assignment import Assignment, AssignmentRole
from app.models.indicator import Direction, Indicator, IndicatorRecommendation
from app.models.institution import Institution, InstitutionKind
from app.models.mechanism import Mechanism
from app.models.recommendation import Recommendation, RecommendationType
from app.models.user import Role, User
from app.plans.labels import INDICATORS, PROGRESS
from app.reference.seed import seed_reference_data
from bench.api_bench import scratch_database

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def fill(url: str, recommendations: int) -> tuple[uuid.UUID, User]:
    await asyncio.to_thread(upgrade_to_head, url)
    settings = Settings(database_url=url, password_time_cost=1, password_memory_kib=1024)
    engine = create_engine(settings)
    async with create_sessionmaker(engine)() as session:
        await seed_reference_data(session, settings.seeds_dir)
        await session.commit()
        crc = (await session.scalars(select(Mechanism.id).where(Mechanism.code == "CRC"))).one()
        institution = Institution(
            id=uuid.uuid4(), name="Ministry of Justice", kind=InstitutionKind.ministry,
            archived=False,
        )  # fmt: skip
        user = User(
            id=uuid.uuid4(), email="focal@example.org", name="Focal", role=Role.focal_point,
            institution_id=institution.id, password_hash=hash_password("x" * 20, settings),
            active=True, session_version=1,
        )  # fmt: skip
        session.add_all([institution, user])
        recs = [
            Recommendation(
                id=uuid.uuid4(),
                symbol="CRC/C/KEN/CO/3-5",
                paragraph=str(n),
                type=RecommendationType.recommendation,
                mechanism_id=crc,
                publication_date=dt.date(2016, 3, 21),
                text={"en": f"The Committee recommends that the State party act ({n}). " * 4},
            )
            for n in range(recommendations)
        ]
        session.add_all(recs)
        await session.flush()
        session.add_all(
            Assignment(
                id=uuid.uuid4(),
                recommendation_id=r.id,
                institution_id=institution.id,
                role=AssignmentRole.lead,
                due_date=dt.date(2027, 6, 30),
            )
            for r in recs
        )
        actions = [
            Action(
                id=uuid.uuid4(),
                title=f"Action {n}",
                institution_id=institution.id,
                status=ActionStatus.planned,
                due_date=dt.date(2027, 3, 31),
            )
            for n in range(recommendations // 5)
        ]
        indicators = [
            Indicator(
                id=uuid.uuid4(),
                name=f"Indicator {n}",
                direction=Direction.increase,
                baseline=0,
                target=100,
            )
            for n in range(recommendations // 10)
        ]
        session.add_all([*actions, *indicators])
        await session.flush()
        session.add_all(
            ActionRecommendation(action_id=a.id, recommendation_id=recs[n * 5].id)
            for n, a in enumerate(actions)
        )
        session.add_all(
            IndicatorRecommendation(indicator_id=i.id, recommendation_id=recs[n * 10].id)
            for n, i in enumerate(indicators)
        )
        await session.commit()
    await engine.dispose()
    return institution.id, user


def filled_in(content: bytes) -> bytes:
    book = openpyxl.load_workbook(io.BytesIO(content))
    actions = book["Actions"]
    for row in range(2, actions.max_row + 1):
        actions.cell(row, 7, "in_progress")
    indicators = book["Indicators"]
    for row in range(2, indicators.max_row + 1):
        indicators.cell(row, INDICATORS.position("new_value") + 1, row * 1.5)
        indicators.cell(row, INDICATORS.position("new_date") + 1, dt.date(2026, 1, 31))
    progress = book["Progress"]
    for row in range(2, progress.max_row + 1):
        progress.cell(row, PROGRESS.position("assessment") + 1, "in_progress")
        progress.cell(row, PROGRESS.position("narrative") + 1, f"Work began on row {row}. " * 10)
        progress.cell(row, PROGRESS.position("evidence") + 1, f"https://example.org/{row}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Statements:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.kinds: Counter[str] = Counter()
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        self.kinds[" ".join(statement.split()[:3])] += 1


async def timed(label: str, statements: Statements, call: Any) -> Any:
    before, cpu, started = statements.count, time.process_time(), time.perf_counter()
    result = await call()
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"{label:34} {wall:7.2f} s wall {used:7.2f} s CPU {statements.count - before:7d} SQL")
    return result


async def measure(url: str, recommendations: int, profile: bool) -> None:
    institution, user = await fill(url, recommendations)
    settings = Settings(
        database_url=url, import_worker=False, secret_key=SecretStr(secrets.token_hex(32))
    )
    app = create_app(settings)
    token = issue_access_token(user.id, user.session_version, settings)
    statements = Statements(app.state.engine)
    async with (
        app.router.lifespan_context(app),
        AsyncClient(
            transport=ASGITransport(app=app), base_url="http://b/api/v1",
            headers={"Authorization": f"Bearer {token}"}, timeout=120,
        ) as client,
    ):  # fmt: skip

        async def download() -> bytes:
            response = await client.get(
                "/plans/workbook.xlsx", params={"institution": str(institution)}
            )
            assert response.status_code == 200, response.text
            return response.content

        async def upload(content: bytes, **form: str) -> dict[str, Any]:
            response = await client.post(
                "/plans/workbook", files={"file": ("plan.xlsx", content, XLSX)}, data=form
            )
            assert response.status_code == 200, response.text[:2000]
            body: dict[str, Any] = response.json()
            return body

        content = b""
        for run in range(3):
            content = await timed(f"download {run + 1}", statements, download)
        print(f"workbook: {len(content):,} bytes")
        filled = filled_in(content)
        await timed("upload, dry run", statements, lambda: upload(filled, dry_run="true"))
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        outcome = await timed("upload and apply", statements, lambda: upload(filled))
        if profiler:
            profiler.disable()
            print(statements.kinds.most_common(12))
        print(outcome)
        again = await timed("the same workbook again", statements, lambda: upload(filled))
        print(again)
        rows = ("actions_changed", "measurements_created", "progress_updates_created")
        assert again["rows_unchanged"] == sum(outcome[k] for k in rows), again
        created = again["measurements_created"] + again["progress_updates_created"]
        assert created == 0, again
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--recommendations", type=int, default=500)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    async with scratch_database(args.backend, None) as (url, _):
        print(f"{args.backend}, {args.recommendations} recommendations assigned")
        await measure(url, args.recommendations, args.profile)


if __name__ == "__main__":
    asyncio.run(main())
