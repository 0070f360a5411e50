"""Assignments of recommendations to lead and supporting institutions (DESIGN §2)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.assignments import service
from app.assignments.dependencies import AssignmentDep, MatchedAssignmentDep
from app.assignments.schemas import (
    AssignmentBulk,
    AssignmentBulkResult,
    AssignmentCreate,
    AssignmentRead,
    AssignmentUpdate,
)
from app.auth.dependencies import CurrentPrincipal, requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.json_types import IsoDate
from app.models.assignment import AssignmentRole
from app.pagination import Page, PageParamsDep
from app.recommendations.dependencies import RecommendationDep

router = APIRouter(tags=["assignments"], responses=problem_responses(400, 401, 422))
Planner = Annotated[Principal, requires(Permission.plan)]


@router.get("/assignments", summary="List assignments")
async def list_assignments(
    session: SessionDep,
    principal: CurrentPrincipal,
    page: PageParamsDep,
    recommendation_id: uuid.UUID | None = None,
    institution_id: uuid.UUID | None = None,
    focal_point_id: uuid.UUID | None = None,
    role: AssignmentRole | None = None,
    due_before: IsoDate | None = None,
) -> Page[AssignmentRead]:
    found, next_cursor, total = await service.list_assignments(
        session, recommendation_id=recommendation_id, institution_id=institution_id,
        focal_point_id=focal_point_id, role=role, due_before=due_before, params=page,
    )  # fmt: skip
    items = [AssignmentRead.build(a).seen_by(principal) for a in found]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get(
    "/recommendations/{recommendation_id:uuid}/assignments",
    summary="The institutions a recommendation is assigned to",
    responses=problem_responses(404),
)
async def recommendation_assignments(
    session: SessionDep, principal: CurrentPrincipal, rec: RecommendationDep, page: PageParamsDep
) -> Page[AssignmentRead]:
    found, next_cursor, total = await service.list_assignments(
        session, recommendation_id=rec.id, institution_id=None, focal_point_id=None,
        role=None, due_before=None, params=page,
    )  # fmt: skip
    items = [AssignmentRead.build(a).seen_by(principal) for a in found]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.post(
    "/assignments", status_code=201, summary="Assign a recommendation to an institution",
    responses=problem_responses(403, 409),
)  # fmt: skip
async def create_assignment(
    session: SessionDep,
    actor: Planner,
    data: AssignmentCreate,
    request: Request,
    response: Response,
) -> AssignmentRead:
    assignment = await service.create_assignment(session, data, actor)
    response.headers["ETag"] = etag_for(assignment.version)
    response.headers["Location"] = str(
        request.url_for("get_assignment", assignment_id=assignment.id)
    )
    return AssignmentRead.build(assignment)


@router.post(
    "/assignments/bulk",
    summary="Assign many recommendations to one institution (one transaction, all or nothing)",
    responses=problem_responses(403, 409),
)
async def bulk_assign(
    session: SessionDep, actor: Planner, data: AssignmentBulk
) -> AssignmentBulkResult:
    return await service.bulk_assign(session, data, actor)


@router.get(
    "/assignments/{assignment_id:uuid}", summary="One assignment", responses=problem_responses(404)
)
async def get_assignment(
    assignment: AssignmentDep, principal: CurrentPrincipal, response: Response
) -> AssignmentRead:
    response.headers["ETag"] = etag_for(assignment.version)
    return AssignmentRead.build(assignment).seen_by(principal)


@router.patch(
    "/assignments/{assignment_id:uuid}",
    summary="Change role, dates or focal point (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def update_assignment(
    session: SessionDep, actor: Planner, assignment: MatchedAssignmentDep, data: AssignmentUpdate,
    response: Response,
) -> AssignmentRead:  # fmt: skip
    updated = await service.update_assignment(session, assignment, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return AssignmentRead.build(updated)


@router.delete(
    "/assignments/{assignment_id:uuid}",
    status_code=204,
    summary="Withdraw an assignment (needs If-Match; the audit trail keeps it)",
    responses=problem_responses(403, 404, 412, 428),
)
async def delete_assignment(
    session: SessionDep, actor: Planner, assignment: MatchedAssignmentDep
) -> Response:
    await service.delete_assignment(session, assignment, actor)
    return Response(status_code=204)
