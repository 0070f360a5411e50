"""/imports: upload a UHRI file, the job list, and a job's page with its live progress (DESIGN §5,
§9). The upload goes through the API's own path (app/imports/uploads.py); who may upload is
decided before a byte of the file is read, as for POST /api/v1/imports."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.imports import service
from app.imports.uploads import queue_upload
from app.models.import_job import ImportJob, JobStatus
from app.web import choices
from app.web.flash import flash
from app.web.forms import REQUIRED, FieldErrors, unprocessable_errors
from app.web.i18n import N_, Message, as_language, page_language
from app.web.records import keyset_page
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import NavItem, redirect, render
from app.web.uploads import RefusedBeforeBody

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/imports", N_("Imports"), permission=Permission.run_imports),)
Importer = Annotated[Principal, page_requires(Permission.run_imports)]
PAGE_SIZE = 25
FINISHED = (JobStatus.succeeded, JobStatus.failed)
_NOT_A_UHRI_FILE = Message(
    N_("This file is neither a UHRI export (JSON or Excel) nor a CSV in rectrack's template.")
)
_UNKNOWN_COUNTRY = Message(N_("This choice does not exist, or no longer exists."))


async def _job(session: SessionDep, job_id: uuid.UUID) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None:
        raise NotFound(f"There is no import job {job_id}.")
    return job


async def _imports_page(
    request: Request, session: SessionDep, *, form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    jobs, next_cursor, _ = await keyset_page(
        lambda page: service.list_jobs(session, page), request.query_params.get("cursor"), PAGE_SIZE
    )
    people = await choices.names_of_users(
        session, {job.created_by_id for job in jobs if job.created_by_id}
    )
    values = {
        "jobs": jobs,
        "people": people,
        "next_cursor": next_cursor,
        "countries": await choices.countries(session, page_language(request)),
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "imports/list.html", values, status_code=status_code)


@router.get("/imports")
async def imports(request: Request, session: SessionDep, importer: Importer) -> Response:
    return await _imports_page(request, session)


async def upload(
    request: Request, session: SessionDep, importer: Importer, context: CsrfDep
) -> Response:
    # `importer` is listed before `context`: the role is checked before the CSRF check reads
    # the form, that is before the file is received.
    form = await request.form()
    file = form.get("file")
    countries = [c for c in form.getlist("country") if isinstance(c, str) and c]
    sent_lang = str(form.get("lang") or "")
    typed = {"dry_run": "dry_run" in form, "country": countries, "lang": sent_lang}
    errors: FieldErrors = {}
    if not isinstance(file, UploadFile) or not file.filename:
        errors["file"] = REQUIRED
    lang = as_language(sent_lang) if sent_lang else None
    if sent_lang and lang is None:
        errors["lang"] = Message(N_("Choose one of the options."))
    if not errors:
        assert isinstance(file, UploadFile)
        try:
            job = await queue_upload(
                session, request, file, dry_run=bool(typed["dry_run"]), countries=countries,
                lang=lang, actor=importer,
            )  # fmt: skip
        except UnprocessableEntity as exc:
            errors = unprocessable_errors(exc)
            if "file" in errors:
                errors["file"] = _NOT_A_UHRI_FILE
            if "country" in errors:
                errors["country"] = _UNKNOWN_COUNTRY
    if errors:
        await session.rollback()
        return await _imports_page(request, session, form=typed, errors=errors, status_code=422)
    flash(context, Message(N_("The file is received; its import is queued.")))
    return redirect(request, f"/imports/{job.id}")


router.add_api_route("/imports", upload, methods=["POST"], route_class_override=RefusedBeforeBody)


def _job_values(job: ImportJob) -> dict[str, Any]:
    return {"job": job, "finished": job.status in FINISHED}


@router.get("/imports/{job_id:uuid}")
async def job_page(
    request: Request, session: SessionDep, importer: Importer, job_id: uuid.UUID
) -> Response:
    job = await _job(session, job_id)
    people = await choices.names_of_users(session, {job.created_by_id} - {None})  # type: ignore[arg-type]
    values = {**_job_values(job), "people": people}
    return render(request, "imports/job.html", values)


@router.get("/imports/{job_id:uuid}/progress")
async def job_progress(
    request: Request, session: SessionDep, importer: Importer, job_id: uuid.UUID
) -> Response:
    """The job page's progress panel alone, which its script fetches every few seconds."""
    job = await _job(session, job_id)
    return render(request, "imports/progress.html", _job_values(job))
