"""The outbox: a change writes its event, and a delivery per subscribed webhook, in its own
transaction, so that an event is never lost between a commit and a send (DESIGN §11)."""

import uuid
from collections.abc import Callable
from typing import Any, get_args

from pydantic import BaseModel
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.models.webhook import DeliveryStatus, OutboxEvent, Webhook, WebhookDelivery
from app.notifications.events import notify
from app.webhooks.schemas import EventType

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
# Called after a commit that wrote deliveries: the in-process worker wakes at once instead
# of at its next poll.
_wakers: list[Callable[[], None]] = []


def on_new_deliveries(wake: Callable[[], None]) -> Callable[[], None]:
    """Register `wake`; returns the function that unregisters it."""
    _wakers.append(wake)
    return lambda: _wakers.remove(wake)


def _wake_all(_: object) -> None:
    for wake in list(_wakers):
        wake()


async def emit(session: AsyncSession, type_: str, data: BaseModel | dict[str, Any]) -> None:
    """Write an event and its deliveries to every active webhook that wants it (flushed with
    the rest of the change; committed or rolled back with it)."""
    assert type_ in EVENT_TYPES, type_
    body = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    # The people who hear of it by mail, in the same transaction (app/notifications/events.py).
    await notify(session, type_, body)
    webhooks = (
        await session.execute(select(Webhook.id, Webhook.events).where(Webhook.active.is_(True)))
    ).all()
    wanted = [webhook_id for webhook_id, events in webhooks if type_ in events]
    if not wanted:
        return
    now = utcnow()
    outbox = OutboxEvent(id=uuid.uuid4(), type=type_, occurred_at=now, data=body)
    session.add(outbox)
    session.add_all(
        WebhookDelivery(
            id=uuid.uuid4(),
            event_id=outbox.id,
            webhook_id=webhook_id,
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        for webhook_id in wanted
    )
    if _wakers and not session.info.get("wakes_webhook_worker"):
        session.info["wakes_webhook_worker"] = True
        event.listen(session.sync_session, "after_commit", _wake_all)


async def emit_recommendations(
    session: AsyncSession, type_: str, recommendation_ids: list[uuid.UUID]
) -> None:
    """One event per recommendation, each as GET /recommendations/{id} answers a coordinator
    (in English) at this point of the transaction."""
    from app.models.recommendation import Recommendation
    from app.recommendations.reads import read_models, select_for_read

    if not recommendation_ids or not await _anyone_wants(session, type_):
        return
    await session.flush()
    for start in range(0, len(recommendation_ids), 500):
        chunk = recommendation_ids[start : start + 500]
        rows = (
            await session.execute(select_for_read("en").where(Recommendation.id.in_(chunk)))
        ).all()
        for read in await read_models(session, rows, "en"):
            await emit(session, type_, read)


async def _anyone_wants(session: AsyncSession, type_: str) -> bool:
    webhooks = await session.execute(select(Webhook.events).where(Webhook.active.is_(True)))
    return any(type_ in events for (events,) in webhooks.all())
