"""Webhook subscriptions and their delivery log (DESIGN §11, docs/webhooks.md)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.etag import etag_for, if_matched
from app.models.webhook import Webhook
from app.pagination import Page, PageParamsDep
from app.webhooks import service
from app.webhooks.schemas import (
    DeliveryAttemptRead,
    WebhookCreate,
    WebhookCreated,
    WebhookEdit,
    WebhookRead,
)

router = APIRouter(
    prefix="/webhooks", tags=["webhooks"], responses=problem_responses(400, 401, 403, 422)
)
Manager = Annotated[Principal, requires(Permission.manage_webhooks)]


async def webhook_by_id(session: SessionDep, _: Manager, webhook_id: uuid.UUID) -> Webhook:
    webhook = await session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"There is no webhook {webhook_id}.")
    return webhook


WebhookDep = Annotated[Webhook, Depends(webhook_by_id)]
MatchedWebhookDep = Annotated[Webhook, if_matched(webhook_by_id)]


@router.post(
    "", status_code=201, summary="Subscribe a URL to events; the signing secret is shown once"
)
async def create_webhook(
    session: SessionDep, actor: Manager, data: WebhookCreate, request: Request,
    response: Response,
) -> WebhookCreated:  # fmt: skip
    webhook, secret = await service.create_webhook(session, request.app.state.settings, data, actor)
    response.headers["ETag"] = etag_for(webhook.version)
    response.headers["Location"] = str(request.url_for("get_webhook", webhook_id=webhook.id))
    return WebhookCreated(**WebhookRead.build(webhook).model_dump(), secret=secret)


@router.get(
    "", summary="Webhook subscriptions", dependencies=[requires(Permission.manage_webhooks)]
)
async def list_webhooks(session: SessionDep, page: PageParamsDep) -> Page[WebhookRead]:
    found, next_cursor, total = await service.list_webhooks(session, page)
    return Page(items=[WebhookRead.build(w) for w in found], next_cursor=next_cursor, total=total)


@router.get(
    "/{webhook_id:uuid}", summary="One webhook subscription", responses=problem_responses(404)
)
async def get_webhook(webhook: WebhookDep, response: Response) -> WebhookRead:
    response.headers["ETag"] = etag_for(webhook.version)
    return WebhookRead.build(webhook)


@router.patch(
    "/{webhook_id:uuid}",
    summary="Change a webhook's URL, events or activity (needs If-Match)",
    responses=problem_responses(404, 412, 428),
)
async def edit_webhook(
    session: SessionDep, actor: Manager, webhook: MatchedWebhookDep, data: WebhookEdit,
    request: Request, response: Response,
) -> WebhookRead:  # fmt: skip
    edited = await service.edit_webhook(session, request.app.state.settings, webhook, data, actor)
    response.headers["ETag"] = etag_for(edited.version)
    return WebhookRead.build(edited)


@router.delete(
    "/{webhook_id:uuid}",
    status_code=204,
    summary="Remove a webhook with its pending deliveries and log (needs If-Match)",
    responses=problem_responses(404, 412, 428),
)
async def delete_webhook(
    session: SessionDep, actor: Manager, webhook: MatchedWebhookDep
) -> Response:
    await service.delete_webhook(session, webhook, actor)
    return Response(status_code=204)


@router.get(
    "/{webhook_id:uuid}/deliveries",
    summary="Every delivery attempt and the receiver's answer, newest first",
    responses=problem_responses(404),
)
async def list_deliveries(
    session: SessionDep, webhook: WebhookDep, page: PageParamsDep
) -> Page[DeliveryAttemptRead]:
    found, next_cursor, total = await service.list_attempts(session, webhook, page)
    items = [DeliveryAttemptRead.build(a) for a in found]
    return Page(items=items, next_cursor=next_cursor, total=total)
