"""GET /audit: the trail of every write, for admins and coordinators."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditRead
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.db import SessionDep
from app.errors import problem_responses
from app.json_types import IsoDateTime
from app.pagination import Page, PageParamsDep

router = APIRouter(tags=["audit"], responses=problem_responses(400, 401, 403, 422))


@router.get(
    "/audit",
    summary="The audit trail, newest first",
    dependencies=[requires(Permission.read_audit)],
)
async def list_audit(
    session: SessionDep,
    page: PageParamsDep,
    entity_type: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    since: IsoDateTime | None = None,
    until: IsoDateTime | None = None,
) -> Page[AuditRead]:
    filters = service.AuditFilters(entity_type, entity_id, actor_id, action, since, until)
    records, next_cursor, total = await service.list_records(session, filters, page)
    return Page(items=[AuditRead.build(r) for r in records], next_cursor=next_cursor, total=total)
