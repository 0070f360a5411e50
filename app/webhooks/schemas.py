import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from app.json_types import RequestBody
from app.models.webhook import DeliveryAttempt, Webhook

EventType = Literal[
    "recommendation.created",
    "recommendation.updated",
    "recommendation.archived",
    "assignment.created",
    "assignment.deleted",
    "action.updated",
    "progress_update.submitted",
    "progress_update.validated",
    "progress_update.rejected",
    "import.finished",
]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
Events = Annotated[list[EventType], Field(min_length=1, max_length=20)]


class WebhookCreate(RequestBody):
    url: Url = Field(description="http(s) URL; it must resolve to public addresses")
    events: Events
    active: bool = True


class WebhookEdit(RequestBody):
    url: Url | None = None
    events: Events | None = None
    active: bool | None = Field(default=None, description="true also revives a deactivated one")


class WebhookRead(BaseModel):
    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    failing_since: dt.datetime | None
    deactivated_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, webhook: Webhook) -> "WebhookRead":
        return cls.model_validate(webhook, from_attributes=True)


class WebhookCreated(WebhookRead):
    secret: str = Field(description="The signing secret (whsec_…), shown this once")


class DeliveryAttemptRead(BaseModel):
    id: uuid.UUID
    delivery_id: uuid.UUID
    event_id: uuid.UUID = Field(description="Sent as webhook-id")
    event_type: str
    number: int = Field(description="1 for the first attempt at this delivery")
    attempted_at: dt.datetime
    duration_ms: int
    status_code: int | None
    response_body: str | None = Field(description="The start of the receiver's answer")
    error: str | None
    succeeded: bool

    @classmethod
    def build(cls, attempt: DeliveryAttempt) -> "DeliveryAttemptRead":
        return cls.model_validate(attempt, from_attributes=True)
