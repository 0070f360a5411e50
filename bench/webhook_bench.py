"""Webhook delivery rate: events per second from one worker to a receiver on 127.0.0.1.

Makes a migrated database, one webhook, N events in the outbox, and times DeliveryWorker
draining them (sign, POST, log, mark delivered) against a local receiver that answers 200 at
once; beside it, the same receiver hit by bare httpx POSTs, for the ratio.

    .venv/bin/python -m bench.webhook_bench --events 1000 --backend sqlite
    .venv/bin/python -m bench.webhook_bench --events 1000 --backend postgresql
"""

import argparse
import asyncio
import secrets
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
from pydantic import SecretStr
from sqlalchemy import func, select

from app.config import Settings
from app.db import create_engine, create_sessionmaker
from app.migrations import upgrade_to_head
from app.models.webhook import DeliveryStatus, Webhook, WebhookDelivery
from app.webhooks.delivery import DeliveryWorker
from app.webhooks.events import emit
from app.webhooks.signing import new_secret, seal
from tests.webhooks.receiver import receiver

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


async def _bare_rate(url: str, events: int, concurrency: int) -> float:
    async with httpx.AsyncClient() as http:
        queue = list(range(events))

        async def lane() -> None:
            while queue:
                queue.pop()
                (await http.post(url, content=b"{}")).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(lane() for _ in range(concurrency)))
        return events / (time.perf_counter() - started)


async def run(events: int, backend: str, concurrency: int) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        drop = None
    else:
        name = f"rectrack_bench_{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
        await admin.execute(f'CREATE DATABASE "{name}"')
        url, drop = POSTGRES.format(name=name), name
    try:
        await asyncio.to_thread(upgrade_to_head, url)
        settings = Settings(
            database_url=url, environment="test", secret_key=SecretStr(secrets.token_hex(32)),
            webhook_allow_private=True, webhook_concurrency=concurrency,
        )  # fmt: skip
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
        with receiver() as hook:
            webhook_id = uuid.uuid4()
            async with sessionmaker() as session, session.begin():
                session.add(
                    Webhook(
                        id=webhook_id,
                        url=hook.url,
                        events=["action.updated"],
                        active=True,
                        secret=seal(new_secret(), webhook_id, settings),
                    )
                )
            async with sessionmaker() as session, session.begin():
                for n in range(events):
                    await emit(session, "action.updated", {"n": n, "title": "Draft the bill"})
            worker = DeliveryWorker(sessionmaker, settings)
            started = time.perf_counter()
            await worker.run_due()
            elapsed = time.perf_counter() - started
            await worker.close()
            async with sessionmaker() as session:
                done = await session.scalar(
                    select(func.count()).where(WebhookDelivery.status == DeliveryStatus.delivered)
                )
            assert done == events, done
            bare = await _bare_rate(hook.url, events, concurrency)
        await engine.dispose()
        rate = events / elapsed
        print(
            f"{backend}: {events} events in {elapsed:.2f} s = {rate:.0f} events/s "
            f"(concurrency {concurrency}); bare POSTs to the same receiver {bare:.0f}/s; "
            f"ratio {rate / bare:.2f}"
        )
    finally:
        if drop is not None:
            await admin.execute(f'DROP DATABASE "{drop}" WITH (FORCE)')
            await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.events, args.backend, args.concurrency))


if __name__ == "__main__":
    main()
