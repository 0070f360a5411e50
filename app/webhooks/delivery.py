"""Delivering webhook events: claimed in the database, signed, sent, logged, retried.

A delivery is claimed before it is sent (PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, then the
claim; SQLite: one UPDATE … WHERE claimed_by IS NULL, which SQLite runs alone), so two workers
never send the same one at once. A worker that dies holding claims loses them after
RECTRACK_WEBHOOK_LEASE_SECONDS. Only the deliveries in flight when a worker dies can be sent
twice (sent, but not yet recorded as sent): receivers drop duplicates by `webhook-id`.
"""

import asyncio
import datetime as dt
import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.models.base import utcnow
from app.models.webhook import (
    DeliveryAttempt,
    DeliveryStatus,
    OutboxEvent,
    Webhook,
    WebhookDelivery,
)
from app.retries import backoff
from app.webhooks.addresses import AddressRefused, resolve
from app.webhooks.retention import prune_delivery_log
from app.webhooks.signing import signature, unseal

logger = logging.getLogger("rectrack.webhooks")

TIMEOUT_SECONDS = 10.0
GIVE_UP_AFTER = dt.timedelta(days=3)
CLAIM_BATCH = 32
KEPT_RESPONSE_CHARS = 1000
USER_AGENT = "rectrack-webhooks/1"
PRUNE_EVERY = dt.timedelta(hours=1)


def body_of(event: OutboxEvent) -> bytes:
    """What is sent and signed: {id, type, timestamp, data}, the same bytes on every attempt."""
    payload = {
        "id": str(event.id),
        "type": event.type,
        "timestamp": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class _Outcome:
    def __init__(self) -> None:
        self.status_code: int | None = None
        self.response: str | None = None
        self.error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class _Result:
    """One attempt, sent and waiting to be written to the log with others (group commit)."""

    delivery: WebhookDelivery
    event: OutboxEvent
    webhook: Webhook
    outcome: _Outcome
    duration_ms: int
    attempted_at: dt.datetime
    written: bool = False
    failed: BaseException | None = None


def _logged(result: _Result) -> DeliveryAttempt:
    outcome = result.outcome
    return DeliveryAttempt(
        id=uuid.uuid4(),
        delivery_id=result.delivery.id,
        webhook_id=result.webhook.id,
        event_id=result.event.id,
        event_type=result.event.type,
        number=result.delivery.attempts + 1,
        attempted_at=result.attempted_at,
        duration_ms=result.duration_ms,
        status_code=outcome.status_code,
        response_body=outcome.response,
        error=outcome.error,
        succeeded=outcome.succeeded,
    )


class DeliveryWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = dt.timedelta(seconds=settings.webhook_lease_seconds)
        self.concurrency = settings.webhook_concurrency
        self.stopping = False
        # One HTTP client per host name: a pooled TLS connection is reused only for the name
        # it was verified for, though the pool is keyed by the address connected to.
        self._clients: dict[tuple[str, str], httpx.AsyncClient] = {}
        self._pruned_at: dt.datetime | None = None
        # Attempts made and not yet written, and the lock of the one writing them.
        self._unwritten: list[_Result] = []
        self._writing = asyncio.Lock()

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _client(self, scheme: str, host: str) -> httpx.AsyncClient:
        key = (scheme, host)
        if key not in self._clients:
            self._clients[key] = httpx.AsyncClient(
                timeout=TIMEOUT_SECONDS, follow_redirects=False, trust_env=False
            )
        return self._clients[key]

    def _claimable(self, now: dt.datetime) -> Any:
        active = select(Webhook.id).where(Webhook.active.is_(True))
        return and_(
            WebhookDelivery.status == DeliveryStatus.pending,
            WebhookDelivery.next_attempt_at <= now,
            WebhookDelivery.webhook_id.in_(active),
            or_(
                WebhookDelivery.claimed_by.is_(None),
                WebhookDelivery.claimed_at < now - self.lease,
            ),
        )

    async def claim(self, limit: int = CLAIM_BATCH) -> list[uuid.UUID]:
        """Claim up to `limit` due deliveries for this worker."""
        now = utcnow()
        claimable = self._claimable(now)
        due = (
            select(WebhookDelivery.id)
            .where(claimable)
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        mine = {"claimed_by": self.worker_id, "claimed_at": now}
        async with self.sessionmaker() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                # Rows another worker is claiming are skipped, not waited for.
                ids = list((await session.scalars(due.with_for_update(skip_locked=True))).all())
                if ids:
                    await session.execute(
                        update(WebhookDelivery).where(WebhookDelivery.id.in_(ids)).values(**mine)
                    )
                return ids
            # SQLite runs one writer at a time: the UPDATE re-checks the claim as it writes.
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(due.scalar_subquery()), claimable)
                .values(**mine)
                .execution_options(synchronize_session=False)
            )
            won = select(WebhookDelivery.id).where(
                WebhookDelivery.claimed_by == self.worker_id,
                WebhookDelivery.claimed_at == now,
                WebhookDelivery.status == DeliveryStatus.pending,
            )
            return list((await session.scalars(won)).all())

    async def release(self, ids: list[uuid.UUID]) -> None:
        """Give claims back (on shutdown) so that another worker takes them at once."""
        if not ids:
            return
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(WebhookDelivery)
                .where(
                    WebhookDelivery.id.in_(ids),
                    WebhookDelivery.claimed_by == self.worker_id,
                    WebhookDelivery.status == DeliveryStatus.pending,
                )
                .values(claimed_by=None, claimed_at=None)
            )

    async def run_due(self) -> int:
        """Deliver what is due now, batch after batch; returns how many attempts were made."""
        await self.prune_now_and_then()
        made = 0
        while not self.stopping:
            ids = await self.claim()
            if not ids:
                break
            made += await self._deliver_batch(ids)
        return made

    async def prune_now_and_then(self) -> None:
        """Trim the delivery log (app/webhooks/retention.py), at most once an hour per worker:
        several workers doing it is harmless, as the deletes are idempotent."""
        now = utcnow()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        before = now - dt.timedelta(days=self.settings.webhook_log_days)
        async with self.sessionmaker() as session, session.begin():
            deliveries, events = await prune_delivery_log(session, before)
        if deliveries or events:
            logger.info(
                "webhook log: %s finished deliveries and %s events older than %s days removed",
                deliveries, events, self.settings.webhook_log_days,
            )  # fmt: skip

    async def _deliver_batch(self, ids: list[uuid.UUID]) -> int:
        loaded = await self._load(ids)
        queue = list(ids)
        made = 0

        async def lane() -> None:
            nonlocal made
            while queue and not self.stopping:
                delivery_id = queue.pop(0)
                try:
                    if await self._attempt(loaded.get(delivery_id)):
                        made += 1
                    else:
                        await self.release([delivery_id])
                except Exception:
                    logger.exception("webhook delivery %s: unexpected error", delivery_id)
                    await self.release([delivery_id])

        try:
            await asyncio.gather(*(lane() for _ in range(min(self.concurrency, len(ids)))))
        finally:
            # Claimed but not started (stopping): back to the pool.
            await asyncio.shield(self.release(queue))
        return made

    async def _load(
        self, ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[WebhookDelivery, OutboxEvent, Webhook]]:
        """The claimed deliveries with their events and webhooks, in one query."""
        async with self.sessionmaker() as session:
            rows = (
                await session.execute(
                    select(WebhookDelivery, OutboxEvent, Webhook)
                    .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                    .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
                    .where(WebhookDelivery.id.in_(ids))
                )
            ).all()
        return {delivery.id: (delivery, event, webhook) for delivery, event, webhook in rows}

    async def deliver(self, delivery_id: uuid.UUID) -> None:
        """One attempt at one claimed delivery, logged; then delivered, or due again later."""
        if not await self._attempt((await self._load([delivery_id])).get(delivery_id)):
            await self.release([delivery_id])

    async def _attempt(self, found: tuple[WebhookDelivery, OutboxEvent, Webhook] | None) -> bool:
        """Send and log; False when there was nothing to send (gone, done, or deactivated)."""
        if found is None:
            return False
        delivery, event, webhook = found
        if delivery.status is not DeliveryStatus.pending or not webhook.active:
            return False
        started = time.monotonic()
        outcome = await self._send(webhook, event)
        duration_ms = int((time.monotonic() - started) * 1000)
        result = _Result(delivery, event, webhook, outcome, duration_ms, utcnow())
        await self._record(result)
        return True

    async def _send(self, webhook: Webhook, event: OutboxEvent) -> _Outcome:
        outcome = _Outcome()
        secret = unseal(webhook.secret, webhook.id, self.settings)
        if secret is None:
            outcome.error = "the signing secret cannot be read (RECTRACK_SECRET_KEY changed?)"
            return outcome
        try:
            # Resolved again now: the address connected to is the one just checked.
            target = await resolve(webhook.url, self.settings.webhook_allow_private)
        except AddressRefused as exc:
            outcome.error = f"refused: {exc}"
            return outcome
        body = body_of(event)
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": target.host_header(),
            "webhook-id": str(event.id),
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(secret, str(event.id), timestamp, body),
        }
        client = self._client(target.url.scheme, target.host)
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                request = client.build_request(
                    "POST", target.connect_url(), content=body, headers=headers,
                    extensions={"sni_hostname": target.host},
                )  # fmt: skip
                response = await client.send(request, stream=True)
                try:
                    kept = bytearray()
                    async for chunk in response.aiter_raw():
                        kept += chunk
                        if len(kept) >= KEPT_RESPONSE_CHARS:
                            break
                finally:
                    await response.aclose()
            outcome.status_code = response.status_code
            # As text in the log: without NULs, which PostgreSQL's text refuses.
            text = kept[:KEPT_RESPONSE_CHARS].decode("utf-8", "replace")
            outcome.response = text.replace("\x00", "\ufffd")
        except TimeoutError:
            outcome.error = f"no answer within {TIMEOUT_SECONDS:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:KEPT_RESPONSE_CHARS]
            outcome.error = error.replace("\x00", "\ufffd")
        return outcome

    async def _record(self, result: _Result) -> None:
        """Write the attempt to the log, with whatever other lanes sent meanwhile: one
        transaction for them all, so that the database's commits do not bound the rate. The
        attempt is written before this returns (an error in the write is raised here)."""
        self._unwritten.append(result)
        async with self._writing:
            if not result.written and result.failed is None:
                batch, self._unwritten = self._unwritten, []
                try:
                    await self._write(batch)
                except Exception:
                    # One attempt the database refuses (its webhook deleted meanwhile, say)
                    # must not fail the others: each is written alone.
                    await self._write_each(batch)
                for item in batch:
                    item.written = item.failed is None
        if result.failed is not None:
            raise result.failed

    async def _write_each(self, batch: list[_Result]) -> None:
        for item in batch:
            try:
                await self._write([item])
            except Exception as exc:
                logger.warning(
                    "webhook delivery %s: the attempt could not be logged (%s); it is due again "
                    "after its backoff", item.delivery.id, type(exc).__name__,
                )  # fmt: skip
                try:
                    await self._postpone(item)
                except Exception as again:
                    item.failed = again

    async def _postpone(self, result: _Result) -> None:
        """Count the attempt and wait its backoff, even when its log could not be written: a
        delivery released at once would be sent again at once, for ever. (A delivery whose
        webhook is gone matches no row: nothing is left to send.)"""
        number = result.delivery.attempts + 1
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id == result.delivery.id)
                .values(
                    attempts=number,
                    claimed_by=None,
                    claimed_at=None,
                    next_attempt_at=result.attempted_at + backoff(number),
                )
            )

    async def _write(self, batch: list[_Result]) -> None:
        by_webhook: dict[uuid.UUID, list[_Result]] = {}
        for result in sorted(batch, key=lambda r: r.attempted_at):
            by_webhook.setdefault(result.webhook.id, []).append(result)
        async with self.sessionmaker() as session, session.begin():
            # Webhook rows in one order, before any delivery's, on every path: two workers
            # recording attempts of the same webhooks wait for each other instead of
            # deadlocking on PostgreSQL.
            for webhook_id in sorted(by_webhook, key=str):
                results = by_webhook[webhook_id]
                if all(r.outcome.succeeded for r in results):
                    await self._write_delivered(session, webhook_id, results)
                else:  # the rare path: one at a time, as the failures count toward giving up
                    for result in results:
                        await self._write_one(session, result)

    async def _write_delivered(
        self, session: AsyncSession, webhook_id: uuid.UUID, results: list[_Result]
    ) -> None:
        """Successes of one webhook in three statements, whatever their number."""
        now = results[-1].attempted_at
        await session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.failing_since.is_not(None))
            .values(failing_since=None)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_([r.delivery.id for r in results]))
            .values(
                attempts=WebhookDelivery.attempts + 1,
                status=DeliveryStatus.delivered,
                delivered_at=now,
                claimed_by=None,
                claimed_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        session.add_all(_logged(r) for r in results)

    async def _write_one(self, session: AsyncSession, result: _Result) -> None:
        delivery, webhook, outcome, now = (
            result.delivery, result.webhook, result.outcome, result.attempted_at
        )  # fmt: skip
        number = delivery.attempts + 1
        if outcome.succeeded:
            await session.execute(
                update(Webhook)
                .where(Webhook.id == webhook.id, Webhook.failing_since.is_not(None))
                .values(failing_since=None)
                .execution_options(synchronize_session=False)
            )
        else:
            await session.execute(
                select(Webhook.id).where(Webhook.id == webhook.id).with_for_update()
            )
            await self._note_failure(session, webhook.id, now)
        values: dict[str, Any] = {"attempts": number, "claimed_by": None, "claimed_at": None}
        if outcome.succeeded:
            values |= {"status": DeliveryStatus.delivered, "delivered_at": now}
        else:
            values["next_attempt_at"] = now + backoff(number)
        await session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values)
        )
        session.add(_logged(result))

    async def _note_failure(
        self, session: AsyncSession, webhook_id: uuid.UUID, now: dt.datetime
    ) -> None:
        await session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id, Webhook.failing_since.is_(None))
            .values(failing_since=now)
            .execution_options(synchronize_session=False)
        )
        since = await session.scalar(select(Webhook.failing_since).where(Webhook.id == webhook_id))
        if since is None or now - since < GIVE_UP_AFTER:
            return
        logger.warning("webhook %s: failing for 3 days; deactivated", webhook_id)
        await session.execute(
            update(Webhook)
            .where(Webhook.id == webhook_id)
            .values(active=False, deactivated_at=now, version=Webhook.version + 1)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.webhook_id == webhook_id,
                WebhookDelivery.status == DeliveryStatus.pending,
            )
            .values(status=DeliveryStatus.failed, claimed_by=None, claimed_at=None)
        )
