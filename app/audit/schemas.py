import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel

from app.models.audit import AuditRecord


class AuditActor(BaseModel):
    user_id: uuid.UUID | None
    api_token_id: uuid.UUID | None
    label: str


class AuditRead(BaseModel):
    id: int
    at: dt.datetime
    actor: AuditActor
    action: str
    entity_type: str
    entity_id: str | None
    changes: dict[str, dict[str, Any]]
    client: str | None

    @classmethod
    def build(cls, record: AuditRecord) -> "AuditRead":
        return cls(
            id=record.id,
            at=record.at,
            actor=AuditActor(
                user_id=record.actor_user_id,
                api_token_id=record.actor_token_id,
                label=record.actor_label,
            ),
            action=record.action,
            entity_type=record.entity_type,
            entity_id=record.entity_id,
            changes=record.changes,
            client=record.client,
        )
