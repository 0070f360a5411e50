"""`rectrack worker` killed with SIGKILL at random points while it delivers 200 webhook events,
then restarted: every event arrives at least once, and an event arrives twice only if it was
in flight at a kill (sent, its answer not yet recorded)."""

import asyncio
import itertools
import os
import random
import signal
import sys
import time
from collections import defaultdict

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.models.webhook import DeliveryStatus, WebhookDelivery
from app.webhooks.events import emit
from tests.webhooks.receiver import receiver
from tests.webhooks.test_webhooks import allow_private, subscribe

EVENTS = 200
KILLS = 5
CONCURRENCY = 8
IN_FLIGHT_GRACE = 0.5  # seconds


async def _delivered(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session:
        return int(
            await session.scalar(
                select(func.count()).where(WebhookDelivery.status == DeliveryStatus.delivered)
            )
            or 0
        )


async def test_killed_workers_lose_no_event_and_repeat_only_those_in_flight(
    app: FastAPI, client: AsyncClient, database_url: str
) -> None:
    allow_private(app)
    rng = random.Random()
    settings = app.state.settings
    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": database_url,
        "RECTRACK_ENVIRONMENT": "test",
        "RECTRACK_SECRET_KEY": settings.secret_key.get_secret_value(),
        "RECTRACK_WEBHOOK_ALLOW_PRIVATE": "true",
        "RECTRACK_WEBHOOK_LEASE_SECONDS": "1",
        "RECTRACK_WEBHOOK_CONCURRENCY": str(CONCURRENCY),
    }

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.cli", "worker", env=env, cwd=PROJECT_ROOT,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip

    # Each answer takes 20 ms: a kill finds deliveries in flight.
    with receiver(delay=0.02) as hook:
        await subscribe(client, hook.url, ["action.updated"])
        async with app.state.sessionmaker() as session, session.begin():
            for n in range(EVENTS):
                await emit(session, "action.updated", {"n": n})
        kills: list[float] = []
        for _ in range(KILLS):
            seen = len(hook.requests)
            process = await start()
            deadline = time.monotonic() + 60
            while len(hook.requests) == seen and await _delivered(app) < EVENTS:
                if time.monotonic() > deadline:
                    process.kill()
                    raise AssertionError(
                        f"the worker delivered nothing in 60 s after {len(kills)} kills: "
                        f"{(await process.stderr.read()).decode()[-3000:]}"  # type: ignore[union-attr]
                    )
                assert process.returncode is None, await process.stderr.read()  # type: ignore[union-attr]
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0, 0.25))
            process.send_signal(signal.SIGKILL)
            await process.wait()
            kills.append(time.monotonic())
        process = await start()
        try:
            deadline = time.monotonic() + 120
            while await _delivered(app) < EVENTS:
                assert time.monotonic() < deadline, f"{await _delivered(app)} delivered in 120 s"
                await asyncio.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), timeout=20) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()

    arrivals: dict[str, list[float]] = defaultdict(list)
    for request in hook.requests:
        arrivals[request.headers["webhook-id"]].append(request.at)
    assert len(arrivals) == EVENTS, "an event was lost"
    repeated_at_kill: dict[int, int] = defaultdict(int)
    for event_id, times in arrivals.items():
        for first, again in itertools.pairwise(times):
            # Sent again only after a kill that came after the first send (a request already on
            # its way when the worker died reaches the receiver a moment after the kill)...
            kill = next(
                (i for i, k in enumerate(kills) if first < k + IN_FLIGHT_GRACE and again > k), None
            )
            assert kill is not None, (event_id, times, kills)
            repeated_at_kill[kill] += 1
    # ...and no more at a kill than the deliveries a worker has in flight at once.
    assert all(count <= CONCURRENCY for count in repeated_at_kill.values()), repeated_at_kill
    duplicates = len(hook.requests) - EVENTS
    print(
        f"\n{EVENTS} events, {KILLS} kills: {duplicates} delivered twice {dict(repeated_at_kill)}"
    )
