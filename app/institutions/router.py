"""Institutions (DESIGN §2, NMRF planning): ministries, agencies, parliament, the NHRI…"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import problem_responses
from app.etag import etag_for
from app.institutions import service
from app.institutions.dependencies import InstitutionDep, MatchedInstitutionDep
from app.institutions.schemas import InstitutionCreate, InstitutionRead, InstitutionUpdate
from app.models.institution import InstitutionKind
from app.pagination import Page, PageParamsDep

router = APIRouter(
    prefix="/institutions", tags=["institutions"], responses=problem_responses(400, 401, 422)
)
Editor = Annotated[Principal, requires(Permission.write_institutions)]


@router.get("", summary="List institutions")
async def list_institutions(
    session: SessionDep,
    page: PageParamsDep,
    kind: InstitutionKind | None = None,
    parent_id: uuid.UUID | None = None,
    archived: bool = False,
    q: Annotated[
        str | None, Query(max_length=200, description="Part of the name or acronym")
    ] = None,
) -> Page[InstitutionRead]:
    found, next_cursor, total = await service.list_institutions(
        session, kind=kind, parent_id=parent_id, archived=archived, q=q, params=page
    )
    return Page(
        items=[InstitutionRead.build(i) for i in found], next_cursor=next_cursor, total=total
    )


@router.post(
    "", status_code=201, summary="Add an institution", responses=problem_responses(403, 409, 413)
)
async def create_institution(
    session: SessionDep,
    actor: Editor,
    data: InstitutionCreate,
    request: Request,
    response: Response,
) -> InstitutionRead:
    institution = await service.create_institution(session, data, actor)
    response.headers["ETag"] = etag_for(institution.version)
    response.headers["Location"] = str(
        request.url_for("get_institution", institution_id=institution.id)
    )
    return InstitutionRead.build(institution)


@router.get("/{institution_id:uuid}", summary="One institution", responses=problem_responses(404))
async def get_institution(institution: InstitutionDep, response: Response) -> InstitutionRead:
    response.headers["ETag"] = etag_for(institution.version)
    return InstitutionRead.build(institution)


@router.patch(
    "/{institution_id:uuid}",
    summary="Change an institution (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 413, 428),
)
async def update_institution(
    session: SessionDep,
    actor: Editor,
    institution: MatchedInstitutionDep,
    data: InstitutionUpdate,
    response: Response,
) -> InstitutionRead:
    updated = await service.update_institution(session, institution, data, actor)
    response.headers["ETag"] = etag_for(updated.version)
    return InstitutionRead.build(updated)


@router.delete(
    "/{institution_id:uuid}",
    status_code=204,
    summary="Archive an institution (needs If-Match)",
    responses=problem_responses(403, 404, 412, 428),
)
async def archive_institution(
    session: SessionDep, actor: Editor, institution: MatchedInstitutionDep
) -> Response:
    await service.archive_institution(session, institution, actor)
    return Response(status_code=204)
