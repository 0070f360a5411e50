"""Webhooks (DESIGN §11): subscriptions, the outbox written with the change, signed delivery
with retries and a log, refused addresses, deactivation, and claims between workers."""

import asyncio
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select, update

from app.config import PROJECT_ROOT
from app.imports import service as imports
from app.models.base import utcnow
from app.models.user import Role
from app.models.webhook import (
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
)
from app.webhooks.delivery import DeliveryWorker
from app.worker import Worker
from tests.conftest import ClientFactory
from tests.imports import uhri_files as uhri
from tests.planning.factories import report
from tests.recommendations.factories import create_recommendation
from tests.webhooks.receiver import receiver

Verify = Callable[[str, dict[str, str], bytes], bool]


def documented_verify() -> Verify:
    """The receiver's recipe, exactly as docs/webhooks.md gives it."""
    text = (PROJECT_ROOT / "docs" / "webhooks.md").read_text(encoding="utf-8")
    found = re.search(r"```python\n(.*?)```", text, re.DOTALL)
    assert found, "docs/webhooks.md has no Python recipe"
    namespace: dict[str, Any] = {}
    exec(found[1], namespace)  # noqa: S102 - our own documentation, under test
    verify: Verify = namespace["verify"]
    return verify


def allow_private(app: FastAPI, allowed: bool = True) -> None:
    app.state.settings = app.state.settings.model_copy(update={"webhook_allow_private": allowed})


async def subscribe(client: AsyncClient, url: str, events: list[str]) -> dict[str, Any]:
    created = await client.post("/webhooks", json={"url": url, "events": events})
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def submitted_update(client: AsyncClient) -> dict[str, Any]:
    update = await report(client, (await create_recommendation(client))["id"], "in_progress")
    submitted = await client.post(f"/progress-updates/{update['id']}/submit")
    assert submitted.status_code == 200, submitted.text
    body: dict[str, Any] = submitted.json()
    return body


async def deliveries(app: FastAPI) -> list[WebhookDelivery]:
    async with app.state.sessionmaker() as session:
        found = await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at))
        return list(found.all())


async def make_due(app: FastAPI) -> None:
    """As if the backoff had passed."""
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow()))


async def outbox_types(app: FastAPI) -> list[str]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(OutboxEvent.type))).all())


def worker_for(app: FastAPI, name: str | None = None) -> DeliveryWorker:
    return DeliveryWorker(app.state.sessionmaker, app.state.settings, worker_id=name)


async def test_a_receiver_failing_twice_gets_the_event_once_on_the_third_attempt(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    with receiver(statuses=[500, 503]) as hook:
        webhook = await subscribe(client, hook.url, ["progress_update.submitted"])
        assert webhook["secret"].startswith("whsec_")
        submitted = await submitted_update(client)
        worker = worker_for(app)
        try:
            for wait in (60, 120):  # 1 minute, then 2
                before = utcnow()
                assert await worker.run_due() == 1
                assert await worker.run_due() == 0, "retried before its backoff"
                [delivery] = await deliveries(app)
                assert delivery.status is DeliveryStatus.pending
                assert delivery.claimed_by is None
                waited = (delivery.next_attempt_at - before).total_seconds()
                assert wait <= waited < wait + 5, waited
                await make_due(app)
            assert await worker.run_due() == 1
            assert await worker.run_due() == 0
        finally:
            await worker.close()
    [delivery] = await deliveries(app)
    assert delivery.status is DeliveryStatus.delivered
    assert delivery.attempts == 3
    assert len(hook.requests) == 3
    assert len(set(hook.ids())) == 1, "the same webhook-id on every attempt"
    verify = documented_verify()
    for request in hook.requests:
        assert verify(webhook["secret"], request.headers, request.body)
        assert not verify(webhook["secret"], request.headers, request.body + b" ")
    other_secret = (await subscribe(client, hook.url, ["action.updated"]))["secret"]
    assert not verify(other_secret, hook.requests[-1].headers, hook.requests[-1].body)
    body = json.loads(hook.requests[-1].body)
    assert body["id"] == hook.ids()[0]
    assert body["type"] == "progress_update.submitted"
    assert dt.datetime.fromisoformat(body["timestamp"]).tzinfo is not None
    assert body["data"] == submitted  # as the coordinator's answer had it
    log = (await client.get(f"/webhooks/{webhook['id']}/deliveries")).json()["items"]
    assert [(a["number"], a["status_code"], a["succeeded"]) for a in log] == [
        (3, 200, True), (2, 503, False), (1, 500, False),
    ]  # fmt: skip
    assert log[1]["response_body"] == "try again later"
    assert {a["event_id"] for a in log} == {body["id"]}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://localhost:8000/hook",
        "http://10.20.30.40/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        # IPv6 forms of loopback and private addresses that `is_global` alone accepts
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:0:7f00:1]/hook",  # SIIT
        "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/hook",  # 6to4 of 127.0.0.1
        "http://[fec0::1]/hook",  # site-local
    ],
)
async def test_addresses_that_are_not_public_are_refused_without_the_setting(
    app: FastAPI, client: AsyncClient, url: str
) -> None:
    refused = await client.post("/webhooks", json={"url": url, "events": ["action.updated"]})
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "body.url"
    assert (await client.get("/webhooks")).json()["items"] == []


async def test_a_global_ipv6_address_is_accepted(client: AsyncClient) -> None:
    url = "http://[2606:4700:4700::1111]/hook"
    accepted = await client.post("/webhooks", json={"url": url, "events": ["action.updated"]})
    assert accepted.status_code == 201, accepted.text


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "http://user:pw@example.org/", "not a url", "http://"]
)
async def test_malformed_urls_are_refused(client: AsyncClient, url: str) -> None:
    refused = await client.post("/webhooks", json={"url": url, "events": ["action.updated"]})
    assert refused.status_code == 422, refused.text


async def test_the_address_is_checked_again_at_delivery(app: FastAPI, client: AsyncClient) -> None:
    allow_private(app)
    with receiver() as hook:
        webhook = await subscribe(client, hook.url, ["progress_update.submitted"])
        await submitted_update(client)
        allow_private(app, False)
        worker = worker_for(app)
        try:
            assert await worker.run_due() == 1
        finally:
            await worker.close()
    assert hook.requests == []
    [attempt] = (await client.get(f"/webhooks/{webhook['id']}/deliveries")).json()["items"]
    assert attempt["status_code"] is None
    assert attempt["error"].startswith("refused: 127.0.0.1 resolves to 127.0.0.1")


async def test_an_event_is_written_with_its_change_and_only_then(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    await subscribe(client, "http://127.0.0.1:9/", ["progress_update.submitted"])
    update = await report(client, (await create_recommendation(client))["id"], "in_progress")
    # A change that fails writes nothing; events nobody subscribed to are not kept.
    assert (await client.post(f"/progress-updates/{update['id']}/validate")).status_code == 409
    assert await outbox_types(app) == []
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    assert (await client.post(f"/progress-updates/{update['id']}/validate")).status_code == 200
    assert await outbox_types(app) == ["progress_update.submitted"]
    assert len(await deliveries(app)) == 1


async def test_each_kind_of_change_sends_its_event(app: FastAPI, client: AsyncClient) -> None:
    allow_private(app)
    from app.webhooks.events import EVENT_TYPES

    await subscribe(client, "http://127.0.0.1:9/", list(EVENT_TYPES))
    rec = await create_recommendation(client)
    edited = await client.patch(
        f"/recommendations/{rec['id']}", json={"priority": "high"}, headers={"If-Match": "*"}
    )
    assert edited.status_code == 200, edited.text
    institution = (
        await client.post("/institutions", json={"name": "Ministry of Justice", "kind": "ministry"})
    ).json()
    assignment = (
        await client.post(
            "/assignments",
            json={"recommendation_id": rec["id"], "institution_id": institution["id"]},
        )
    ).json()
    assert (
        await client.delete(f"/assignments/{assignment['id']}", headers={"If-Match": "*"})
    ).status_code == 204
    action = (
        await client.post("/actions", json={"title": "Bill", "recommendation_ids": [rec["id"]]})
    ).json()
    changed = await client.patch(
        f"/actions/{action['id']}", json={"status": "in_progress"}, headers={"If-Match": "*"}
    )
    assert changed.status_code == 200, changed.text
    archived = await client.delete(f"/recommendations/{rec['id']}", headers={"If-Match": "*"})
    assert archived.status_code == 204
    async with app.state.sessionmaker() as session:
        events = (
            await session.scalars(select(OutboxEvent).order_by(OutboxEvent.occurred_at))
        ).all()
    assert [e.type for e in events] == [
        "recommendation.created", "recommendation.updated", "assignment.created",
        "assignment.deleted", "action.updated", "recommendation.archived",
    ]  # fmt: skip
    by_type = {e.type: e.data for e in events}
    assert by_type["recommendation.updated"] == edited.json()
    assert by_type["assignment.deleted"] == assignment  # a deleted assignment keeps its data
    assert by_type["action.updated"] == changed.json()
    assert by_type["recommendation.archived"]["archived"] is True


async def test_an_import_sends_one_event_with_its_counts(
    app: FastAPI, client: AsyncClient, tmp_path: Path
) -> None:
    allow_private(app)
    await subscribe(client, "http://127.0.0.1:9/", ["import.finished", "recommendation.created"])
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    async with app.state.sessionmaker() as session, session.begin():
        job = await imports.create_job(
            session, stored_path=path, filename=path.name, dry_run=False, countries=[],
            lang=None, actor=None,
        )  # fmt: skip
    assert await imports.claim_job(app.state.sessionmaker, job.id)
    await imports.run_job(app.state.sessionmaker, job.id)
    async with app.state.sessionmaker() as session:
        [event] = (await session.scalars(select(OutboxEvent))).all()
    assert event.type == "import.finished"
    assert event.data["status"] == "succeeded"
    assert event.data["counts"]["created"] == 4


async def test_three_days_of_failures_deactivate_the_webhook(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    with receiver(statuses=[500] * 10) as hook:
        webhook = await subscribe(client, hook.url, ["progress_update.submitted"])
        await submitted_update(client)
        worker = worker_for(app)
        try:
            assert await worker.run_due() == 1
            state = (await client.get(f"/webhooks/{webhook['id']}")).json()
            assert state["active"] is True
            assert state["failing_since"] is not None
            await submitted_update(client)
            async with app.state.sessionmaker() as session, session.begin():
                await session.execute(
                    update(Webhook).values(failing_since=utcnow() - dt.timedelta(days=3, minutes=1))
                )
            await make_due(app)
            # Both are attempted (one batch); the first failure past 3 days ends the webhook.
            assert await worker.run_due() == 2
            assert await worker.run_due() == 0
        finally:
            await worker.close()
    state = (await client.get(f"/webhooks/{webhook['id']}")).json()
    assert state["active"] is False
    assert state["deactivated_at"] is not None
    assert [d.status for d in await deliveries(app)] == [DeliveryStatus.failed] * 2
    # Revived, it starts afresh with new events.
    revived = await client.patch(
        f"/webhooks/{webhook['id']}", json={"active": True}, headers={"If-Match": "*"}
    )
    assert revived.json()["active"] is True
    assert revived.json()["failing_since"] is None


async def test_two_workers_never_claim_the_same_delivery(app: FastAPI, client: AsyncClient) -> None:
    allow_private(app)
    await subscribe(client, "http://127.0.0.1:9/", ["progress_update.submitted"])
    for _ in range(40):
        await submitted_update(client)
    one, two = worker_for(app, "one"), worker_for(app, "two")
    claims = await asyncio.gather(one.claim(limit=25), two.claim(limit=25))
    assert not set(claims[0]) & set(claims[1])
    assert len(claims[0]) + len(claims[1]) == 40
    # Given back (a clean stop), they are claimable at once.
    await one.release(claims[0])
    assert sorted(await two.claim(limit=100)) == sorted(claims[0])


async def test_a_dead_workers_claims_are_taken_over_after_the_lease(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    await subscribe(client, "http://127.0.0.1:9/", ["progress_update.submitted"])
    await submitted_update(client)
    dead = worker_for(app, "dead")
    assert len(await dead.claim()) == 1
    survivor = worker_for(app, "survivor")
    assert await survivor.claim() == []
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(WebhookDelivery).values(claimed_at=utcnow() - dt.timedelta(seconds=61))
        )
    assert len(await survivor.claim()) == 1


async def test_the_in_process_worker_delivers_right_after_the_commit(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    with receiver() as hook:
        await subscribe(client, hook.url, ["progress_update.submitted"])
        async with app.router.lifespan_context(app):
            app.state.worker.poll_seconds = 3600  # only a wake-up can deliver it in time
            await asyncio.sleep(0.3)
            await submitted_update(client)
            assert await asyncio.to_thread(hook.arrived.wait, 10)
        assert len(hook.requests) == 1
    [delivery] = await deliveries(app)
    assert delivery.status is DeliveryStatus.delivered


async def test_subscriptions_are_managed_by_admins_and_coordinators_only(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    allow_private(app)
    webhook = await subscribe(client, "http://127.0.0.1:9/x", ["action.updated"])
    for role in (Role.viewer, Role.focal_point):
        other = await make_client(role)
        assert (await other.get("/webhooks")).status_code == 403
        assert (await other.get(f"/webhooks/{webhook['id']}")).status_code == 403
    read = await client.get(f"/webhooks/{webhook['id']}")
    assert "secret" not in read.json()
    assert (
        await client.patch(f"/webhooks/{webhook['id']}", json={"active": False})
    ).status_code == 428
    edited = await client.patch(
        f"/webhooks/{webhook['id']}", json={"events": ["import.finished", "import.finished"]},
        headers={"If-Match": read.headers["ETag"]},
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    assert edited.json()["events"] == ["import.finished"]
    unknown = await client.patch(
        f"/webhooks/{webhook['id']}", json={"events": ["user.created"]}, headers={"If-Match": "*"}
    )
    assert unknown.status_code == 422
    gone = await client.delete(f"/webhooks/{webhook['id']}", headers={"If-Match": "*"})
    assert gone.status_code == 204
    assert (await client.get(f"/webhooks/{webhook['id']}")).status_code == 404
    async with app.state.sessionmaker() as session:
        audited = await session.scalar(
            select(func.count()).select_from(Webhook).where(Webhook.id == uuid.UUID(webhook["id"]))
        )
    assert audited == 0


async def test_a_stopping_worker_finishes_what_is_in_flight_and_gives_back_the_rest(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    app.state.settings = app.state.settings.model_copy(update={"webhook_concurrency": 2})
    with receiver(delay=0.3) as hook:
        await subscribe(client, hook.url, ["progress_update.submitted"])
        for _ in range(6):
            await submitted_update(client)
        worker = Worker(app.state.sessionmaker, app.state.settings, poll_seconds=3600)
        running = asyncio.create_task(worker.run())
        assert await asyncio.to_thread(hook.arrived.wait, 10)
        worker.stop()  # what SIGTERM does
        await asyncio.wait_for(running, timeout=10)
    found = await deliveries(app)
    delivered = [d for d in found if d.status is DeliveryStatus.delivered]
    assert len(delivered) == len(hook.requests), "a sent delivery was not recorded"
    assert 1 <= len(delivered) < 6
    assert [d.claimed_by for d in found] == [None] * 6, "a claim was kept"


async def test_the_delivery_log_keeps_finished_deliveries_for_the_configured_days(
    app: FastAPI, client: AsyncClient
) -> None:
    allow_private(app)
    with receiver(statuses=[500]) as hook:
        await subscribe(client, hook.url, ["progress_update.submitted"])
        await submitted_update(client)  # fails once, then still owed
        await submitted_update(client)
        worker = worker_for(app)
        try:
            assert await worker.run_due() == 2
        finally:
            await worker.close()
    # Which of the two got the one 500 depends on which was sent first (they go at once).
    found = await deliveries(app)
    [first] = [d for d in found if d.status is DeliveryStatus.pending]  # still owed
    assert [d.status for d in found].count(DeliveryStatus.delivered) == 1
    async with app.state.sessionmaker() as session, session.begin():
        # Both are older than the 30 days kept.
        await session.execute(
            update(WebhookDelivery).values(created_at=utcnow() - dt.timedelta(days=31))
        )
        await session.execute(
            update(OutboxEvent).values(occurred_at=utcnow() - dt.timedelta(days=31))
        )
    worker = worker_for(app)
    try:
        await worker.run_due()
    finally:
        await worker.close()
    # The finished one went with its attempts and its event; the owed one stays, with its log.
    assert [d.id for d in await deliveries(app)] == [first.id]
    async with app.state.sessionmaker() as session:
        events = (await session.scalars(select(OutboxEvent.id))).all()
        attempts = (await session.scalars(select(DeliveryAttempt.delivery_id))).all()
    assert events == [first.event_id]
    assert set(attempts) == {first.id}


async def test_an_answer_with_a_nul_byte_is_logged_and_waits_its_backoff(
    app: FastAPI, client: AsyncClient
) -> None:
    """PostgreSQL's text cannot hold NUL: a receiver answering one must not make its attempt
    unloggable (it was then released at once and sent again, for ever)."""
    allow_private(app)
    with receiver(statuses=[500], failure_body=b"bad\x00body") as hook:
        webhook = await subscribe(client, hook.url, ["progress_update.submitted"])
        await submitted_update(client)
        worker = worker_for(app)
        try:
            assert await worker.run_due() == 1
            assert await worker.run_due() == 0
        finally:
            await worker.close()
        assert len(hook.requests) == 1
    [delivery] = await deliveries(app)
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > utcnow()
    [attempt] = (await client.get(f"/webhooks/{webhook['id']}/deliveries")).json()["items"]
    assert attempt["response_body"] == "bad\ufffdbody"


async def test_an_attempt_the_database_refuses_leaves_the_other_webhooks_alone(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Attempts are written together; one that cannot be written (its webhook deleted while it
    was sent, say) must neither fail the others' (sent again: duplicates) nor be sent again at
    once itself."""
    allow_private(app)
    with receiver() as doomed_hook, receiver() as healthy_hook:
        doomed = await subscribe(client, doomed_hook.url, ["progress_update.submitted"])
        await subscribe(client, healthy_hook.url, ["progress_update.submitted"])
        for _ in range(3):
            await submitted_update(client)
        worker = worker_for(app)
        write = worker._write

        async def refusing(batch: list[Any]) -> None:
            if any(str(r.webhook.id) == doomed["id"] for r in batch):
                raise RuntimeError("refused by the database")
            await write(batch)

        monkeypatch.setattr(worker, "_write", refusing)
        try:
            assert await worker.run_due() == 6
            assert await worker.run_due() == 0  # nothing released to be sent again at once
        finally:
            await worker.close()
        assert len(healthy_hook.requests) == 3
        assert len(set(healthy_hook.ids())) == 3
        assert len(doomed_hook.requests) == 3
    by_webhook: dict[str, list[WebhookDelivery]] = {}
    for delivery in await deliveries(app):
        by_webhook.setdefault(str(delivery.webhook_id), []).append(delivery)
    assert (
        all(d.status is DeliveryStatus.delivered for d in by_webhook.pop(doomed["id"], [])) is False
    )
    [healthy] = by_webhook.values()
    assert {d.status for d in healthy} == {DeliveryStatus.delivered}
