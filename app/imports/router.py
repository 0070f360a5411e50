"""POST /imports and GET /imports/{id} (DESIGN §5)."""

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from pydantic import StringConstraints
from sqlalchemy import select

from app.auth.before_body import CheckedBeforeBody
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity, problem_responses
from app.i18n import Language
from app.imports import service
from app.imports.readers import FileFormatError
from app.imports.schemas import ImportJobRead
from app.models.country import Country
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
    countries = sorted({c.strip().upper() for c in country or [] if c.strip()})
    if countries:
        known = set(
            (await session.scalars(select(Country.iso3).where(Country.iso3.in_(countries)))).all()
        )
        unknown = [c for c in countries if c not in known]
        if unknown:
            raise UnprocessableEntity.for_field(
                "body.country", f"unknown country: {', '.join(unknown)}"
            )
    target = Path(request.app.state.settings.import_dir) / f"{uuid.uuid4()}.upload"
    await asyncio.to_thread(service.store_upload, file.file, target)
    try:
        job = await service.create_job(
            session,
            stored_path=target,
            filename=service.safe_filename(file.filename),
            dry_run=dry_run,
            countries=countries,
            lang=lang,
            actor=actor,
            owns_file=True,
        )
    except FileFormatError as exc:
        target.unlink(missing_ok=True)
        raise UnprocessableEntity.for_field("body.file", str(exc), "format") from exc
    except BaseException:
        target.unlink(missing_ok=True)  # no job will ever read it
        raise
    worker = getattr(request.app.state, "import_worker", None)
    if worker is not None:
        # After this request commits the job, the worker picks it up without waiting to poll.
        asyncio.get_running_loop().call_later(0.05, worker.wake)
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
