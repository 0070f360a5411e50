"""How long the delivery log is kept: a webhook that fires on every change would otherwise grow
the outbox and the log without end. Finished deliveries (delivered, or failed for good) older
than RECTRACK_WEBHOOK_LOG_DAYS go with their attempts, and events left with no delivery go
with them; pending ones stay however old, since they are still owed."""

import datetime as dt

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.webhook import DeliveryAttempt, DeliveryStatus, OutboxEvent, WebhookDelivery

FINISHED = (DeliveryStatus.delivered, DeliveryStatus.failed)


async def prune_delivery_log(session: AsyncSession, before: dt.datetime) -> tuple[int, int]:
    """Delete what finished before `before`; answers (deliveries, events) deleted."""
    old = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(FINISHED), WebhookDelivery.created_at < before
    )
    # Attempts first: the cascade is the database's, and SQLite's only with its pragma on.
    await session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(old)))
    deliveries = await session.execute(
        delete(WebhookDelivery).where(
            WebhookDelivery.status.in_(FINISHED), WebhookDelivery.created_at < before
        )
    )
    owed = exists().where(WebhookDelivery.event_id == OutboxEvent.id)
    events = await session.execute(
        delete(OutboxEvent).where(OutboxEvent.occurred_at < before, ~owed)
    )
    return deliveries.rowcount, events.rowcount  # type: ignore[attr-defined]
