"""POST /imports and GET /imports/{id} (DESIGN §5)."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import StringConstraints

from app.auth.before_body import CheckedBeforeBody
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, problem_responses
from app.i18n import Language
from app.imports import service
from app.imports.schemas import ImportJobRead
from app.imports.uploads import queue_upload
from app.models.import_job import ImportJob
from app.pagination import Page, PageParamsDep

# Uploads are refused before their body is read when the caller may not import.
router = APIRouter(
    prefix="/imports",
    tags=["imports"],
    responses=problem_responses(400, 401, 403, 422),
    route_class=CheckedBeforeBody,
)
Importer = Annotated[Principal, requires(Permission.run_imports)]


@router.post(
    "",
    status_code=202,
    summary="Import a UHRI export (JSON or Excel) or a CSV in rectrack's template",
    responses=problem_responses(413),
)
async def start_import(
    session: SessionDep,
    actor: Importer,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="export-full-en.json, an .xlsx export, or CSV")],
    dry_run: Annotated[bool, Form(description="Report what would change; write nothing")] = False,
    country: Annotated[
        list[Annotated[str, StringConstraints(pattern=r"^\s*[A-Za-z]{3}\s*$")]] | None,
        Form(description="Keep only these States (ISO3)"),
    ] = None,
    lang: Annotated[
        Language | None, Form(description="The file's language, if not in its name")
    ] = None,
) -> ImportJobRead:
    job = await queue_upload(
        session, request, file, dry_run=dry_run, countries=country, lang=lang, actor=actor
    )
    response.headers["Location"] = str(request.url_for("get_import", job_id=job.id))
    return ImportJobRead.build(job)


@router.get(
    "", summary="Import jobs, newest first", dependencies=[requires(Permission.run_imports)]
)
async def list_imports(session: SessionDep, page: PageParamsDep) -> Page[ImportJobRead]:
    jobs, next_cursor, total = await service.list_jobs(session, page)
    return Page(items=[ImportJobRead.build(j) for j in jobs], next_cursor=next_cursor, total=total)


@router.get(
    "/{job_id:uuid}",
    summary="One import job: status, progress, counts and the first problems",
    dependencies=[requires(Permission.run_imports)],
    responses=problem_responses(404),
)
async def get_import(session: SessionDep, job_id: uuid.UUID) -> ImportJobRead:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"There is no import job {job_id}.")
    return ImportJobRead.build(job)
