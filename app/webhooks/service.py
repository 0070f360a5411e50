"""Webhook subscriptions (DESIGN §11): made, changed and removed by admins and coordinators."""

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.config import Settings
from app.db import flush_or_conflict
from app.errors import UnprocessableEntity, reject_nulls
from app.models.base import utcnow
from app.models.webhook import DeliveryAttempt, Webhook
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.webhooks.addresses import AddressRefused, resolve
from app.webhooks.schemas import WebhookCreate, WebhookEdit, WebhookRead
from app.webhooks.signing import new_secret, seal

OLDEST_FIRST = KeysetOrder[Webhook](
    name="webhooks", columns=[Webhook.created_at, Webhook.id], descending=False,
    key=lambda w: [w.created_at, w.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip
NEWEST_ATTEMPTS = KeysetOrder[DeliveryAttempt](
    name="attempts", columns=[DeliveryAttempt.attempted_at, DeliveryAttempt.id], descending=True,
    key=lambda a: [a.attempted_at, a.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip


def _audit_view(webhook: Webhook) -> dict[str, Any]:
    return WebhookRead.build(webhook).model_dump(mode="json", include={"url", "events", "active"})


async def check_url(url: str, settings: Settings) -> None:
    try:
        await resolve(url, settings.webhook_allow_private)
    except AddressRefused as exc:
        raise UnprocessableEntity.for_field("body.url", str(exc), "address") from exc


async def create_webhook(
    session: AsyncSession, settings: Settings, data: WebhookCreate, actor: Principal
) -> tuple[Webhook, str]:
    await check_url(data.url, settings)
    secret = new_secret()
    webhook_id = uuid.uuid4()
    webhook = Webhook(
        id=webhook_id, url=data.url, events=sorted(set(data.events)), active=data.active,
        secret=seal(secret, webhook_id, settings), created_by_id=actor.user.id,
    )  # fmt: skip
    session.add(webhook)
    await flush_or_conflict(session)
    await record_event(
        session, actor, "create", "webhook", str(webhook.id), diff({}, _audit_view(webhook))
    )
    return webhook, secret


async def edit_webhook(
    session: AsyncSession, settings: Settings, webhook: Webhook, data: WebhookEdit,
    actor: Principal,
) -> Webhook:  # fmt: skip
    sent = data.model_dump(exclude_unset=True)
    reject_nulls(sent, "url", "events", "active")
    before = _audit_view(webhook)
    if "url" in sent:
        await check_url(sent["url"], settings)
        webhook.url = sent["url"]
    if "events" in sent:
        webhook.events = sorted(set(sent["events"]))
    if "active" in sent:
        if sent["active"] and not webhook.active:
            # Revived: its failures start counting afresh.
            webhook.failing_since = webhook.deactivated_at = None
        webhook.active = sent["active"]
    webhook.updated_at = utcnow()
    await flush_or_conflict(session)
    await record_event(
        session, actor, "update", "webhook", str(webhook.id), diff(before, _audit_view(webhook))
    )
    return webhook


async def delete_webhook(session: AsyncSession, webhook: Webhook, actor: Principal) -> None:
    """The subscription goes, and with it its pending deliveries and log."""
    await record_event(
        session, actor, "delete", "webhook", str(webhook.id), diff(_audit_view(webhook), {})
    )
    await session.delete(webhook)
    await session.flush()


async def list_webhooks(
    session: AsyncSession, params: PageParams
) -> tuple[list[Webhook], str | None, int | None]:
    return await paginate(session, select(Webhook), OLDEST_FIRST, params)


async def list_attempts(
    session: AsyncSession, webhook: Webhook, params: PageParams
) -> tuple[list[DeliveryAttempt], str | None, int | None]:
    stmt = select(DeliveryAttempt).where(DeliveryAttempt.webhook_id == webhook.id)
    return await paginate(session, stmt, NEWEST_ATTEMPTS, params)
