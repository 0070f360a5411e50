"""The implementation-plan workbook, down and back up (DESIGN §10)."""

import asyncio
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from app.auth.before_body import CheckedBeforeBody
from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clock import today
from app.db import SessionDep
from app.documents import DocumentSlotsDep
from app.errors import Forbidden, UnprocessableEntity, problem_responses
from app.i18n import LanguageDep
from app.imports.service import store_upload
from app.models.institution import Institution
from app.models.user import Role
from app.plans import download, reading, service
from app.plans.labels import OTHER_INSTITUTION, gettext
from app.plans.schemas import WorkbookOutcome

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Uploads are refused before their body is read when the caller may not report progress.
router = APIRouter(
    prefix="/plans",
    tags=["plans"],
    responses=problem_responses(400, 401, 403, 422, 503),
    route_class=CheckedBeforeBody,
)
Reporter = Annotated[Principal, requires(Permission.report_progress)]


@router.get(
    "/workbook.xlsx",
    summary="An institution's implementation-plan workbook, to fill in offline "
    "(`institution=all`: a ZIP of one workbook per institution, for coordinators)",
    response_class=Response,
    responses={200: {"content": {XLSX: {}, "application/zip": {}}, "description": "The file"}},
)
async def download_workbook(
    session: SessionDep,
    actor: Reporter,
    lang: LanguageDep,
    slots: DocumentSlotsDep,
    institution: Annotated[
        str, Query(description="An institution's id, or `all`", pattern=r"^(all|[0-9a-fA-F-]{36})$")
    ],
) -> Response:
    everywhere = actor.role in (Role.admin, Role.coordinator)
    if institution == "all":
        if not everywhere:
            raise Forbidden(gettext(lang, OTHER_INSTITUTION))
        found = (
            await session.scalars(
                select(Institution)
                .where(Institution.archived.is_(False))
                .order_by(Institution.name, Institution.id)
            )
        ).all()
        files = []
        with slots.held():  # built in worker threads: bounded per process like reports
            for one in found:
                data = await download.plan_data(session, one, lang)
                content = await asyncio.to_thread(download.render, data, lang)
                files.append((download.file_name(one, today()), content))
            archive = await asyncio.to_thread(download.zip_of, files)
        name = f"plans-{today().isoformat()}.zip"
        return _attachment(archive, "application/zip", name)
    try:
        institution_id = uuid.UUID(institution)
    except ValueError:
        raise UnprocessableEntity.for_field(
            "query.institution", "not an institution id", "invalid"
        ) from None
    if not everywhere and institution_id != actor.institution_id:
        raise Forbidden(gettext(lang, OTHER_INSTITUTION))
    chosen = await session.get(Institution, institution_id)
    if chosen is None:
        raise UnprocessableEntity.for_field(
            "query.institution", f"unknown institution: {institution_id}", "unknown"
        )
    with slots.held():
        data = await download.plan_data(session, chosen, lang)
        content = await asyncio.to_thread(download.render, data, lang)
    return _attachment(content, XLSX, download.file_name(chosen, today()))


def _attachment(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post(
    "/workbook",
    summary="Apply a filled plan workbook: action statuses, new measurements, progress updates; "
    "all rows or none",
    responses=problem_responses(413),
)
async def upload_workbook(
    session: SessionDep,
    actor: Reporter,
    lang: LanguageDep,
    request: Request,
    file: Annotated[UploadFile, File(description="The workbook, as downloaded and filled in")],
    dry_run: Annotated[bool, Form(description="Check and count; write nothing")] = False,
    submit: Annotated[
        bool, Form(description="Submit the progress updates; false leaves them drafts")
    ] = True,
) -> WorkbookOutcome:
    target = Path(request.app.state.settings.import_dir) / f"{uuid.uuid4()}.workbook"
    try:
        await asyncio.to_thread(store_upload, file.file, target)
        filled = await asyncio.to_thread(reading.read, target)
    except reading.Unreadable as exc:
        raise UnprocessableEntity.for_field("body.file", str(exc), "format") from exc
    finally:
        target.unlink(missing_ok=True)
    institution = await service.workbook_institution(session, filled, actor, lang)
    outcome = await service.apply(session, actor, institution, filled, submit=submit, lang=lang)
    if dry_run:
        await session.rollback()
    return WorkbookOutcome(dry_run=dry_run, **asdict(outcome))
