"""Actions: the implementation plan (DESIGN §2)."""

from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.actions import service
from app.actions.dependencies import ActionDep, ActionFiltersDep, MatchedActionDep
from app.actions.schemas import ActionCreate, ActionRead, ActionUpdate
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.pagination import Page, PageParamsDep

router = APIRouter(prefix="/actions", tags=["actions"], responses=problem_responses(400, 401, 422))


@router.get("", summary="List actions; `overdue=true` for those past their due date")
async def list_actions(
    session: SessionDep, page: PageParamsDep, filters: ActionFiltersDep
) -> Page[ActionRead]:
    actions, next_cursor, total = await service.list_actions(session, filters, page)
    links = await service.linked_recommendations(session, [a.id for a in actions])
    items = [ActionRead.build(a, links[a.id]) for a in actions]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post("", status_code=201, summary="Plan an action", responses=problem_responses(403))
async def create_action(
    session: SessionDep,
    actor: Annotated[Principal, requires(Permission.plan)],
    data: ActionCreate,
    request: Request,
    response: Response,
) -> ActionRead:
    action = await service.create_action(session, data, actor)
    links = await service.linked_recommendations(session, [action.id])
    response.headers["ETag"] = etag_for(action.version)
    response.headers["Location"] = str(request.url_for("get_action", action_id=action.id))
    return ActionRead.build(action, links[action.id])


@router.get("/{action_id:uuid}", summary="One action", responses=problem_responses(404))
async def get_action(session: SessionDep, action: ActionDep, response: Response) -> ActionRead:
    links = await service.linked_recommendations(session, [action.id])
    response.headers["ETag"] = etag_for(action.version)
    return ActionRead.build(action, links[action.id])


@router.patch(
    "/{action_id:uuid}",
    summary="Change an action (needs If-Match); focal points change its status only",
    responses=problem_responses(403, 404, 412, 428),
)
async def update_action(
    session: SessionDep,
    actor: Annotated[Principal, requires(Permission.report_progress)],
    action: MatchedActionDep,
    data: ActionUpdate,
    response: Response,
) -> ActionRead:
    updated, ids = await service.update_action(session, action, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return ActionRead.build(updated, ids)
