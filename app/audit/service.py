"""Recording and reading the audit trail. Records join the transaction of the change they record."""

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditRecord
from app.models.base import utcnow
from app.pagination import KeysetOrder, PageParams, cursor_bigint, paginate

if TYPE_CHECKING:
    from app.auth.principal import Principal

Changes = dict[str, dict[str, Any]]

NEWEST_FIRST = KeysetOrder[AuditRecord](
    name="audit", columns=[AuditRecord.id], descending=True, key=lambda r: [r.id],
    parsers=[cursor_bigint], dump=lambda v: v,
)  # fmt: skip


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """The fields whose values differ, as {field: {"before": …, "after": …}}."""
    return {
        field: {"before": before.get(field), "after": after.get(field)}
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }


async def record_event(
    session: AsyncSession,
    actor: "Principal | None",
    action: str,
    entity_type: str,
    entity_id: str | None,
    changes: dict[str, Any],
    *,
    client: str | None = None,
    actor_label: str | None = None,
) -> None:
    session.add(
        AuditRecord(
            at=utcnow(),
            actor_user_id=actor.user.id if actor else None,
            actor_token_id=actor.api_token_id if actor else None,
            actor_label=actor.label if actor else (actor_label or "anonymous"),
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            changes=changes,
            client=actor.client if actor else client,
        )
    )


Event = tuple[str, str, str, Changes]  # action, entity type, entity id, changes


async def record_events(session: AsyncSession, actor: "Principal", events: Sequence[Event]) -> None:
    """record_event for many changes at once (a plan workbook's rows): one batched INSERT
    instead of one per record, as the ORM would do to learn each record's id."""
    if not events:
        return
    at = utcnow()
    await session.execute(
        insert(AuditRecord),
        [
            {"at": at, "actor_user_id": actor.user.id, "actor_token_id": actor.api_token_id,
             "actor_label": actor.label, "action": action, "entity_type": entity_type,
             "entity_id": entity_id, "changes": changes, "client": actor.client}
            for action, entity_type, entity_id, changes in events
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class AuditFilters:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    action: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def list_records(
    session: AsyncSession, filters: AuditFilters, params: PageParams
) -> tuple[list[AuditRecord], str | None, int | None]:
    stmt = select(AuditRecord)
    if filters.entity_type is not None:
        stmt = stmt.where(AuditRecord.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        stmt = stmt.where(AuditRecord.entity_id == filters.entity_id)
    if filters.actor_id is not None:
        stmt = stmt.where(AuditRecord.actor_user_id == filters.actor_id)
    if filters.action is not None:
        stmt = stmt.where(AuditRecord.action == filters.action)
    if filters.since is not None:
        stmt = stmt.where(AuditRecord.at >= filters.since)
    if filters.until is not None:
        stmt = stmt.where(AuditRecord.at < filters.until)
    return await paginate(session, stmt, NEWEST_FIRST, params)
