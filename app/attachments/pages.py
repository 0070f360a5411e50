"""Evidence files on the workspace's pages: attach one to a draft or rejected update, delete it
again, download one (DESIGN §11). The same services and checks as the API; who may attach is
decided before a byte of the file is read, and the file streams to disk as the API's does."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from app.attachments import service, storage
from app.attachments.responses import file_response
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import AppError, Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType
from app.models.progress_update import ProgressUpdate
from app.recommendations.details import answer_detail_form
from app.web.forms import REQUIRED, Outcome
from app.web.i18n import N_, Message
from app.web.sessions import CSRF_FIELD, CsrfDep, WebDep, check_csrf, page_requires
from app.web.uploads import RefusedBeforeBody

router = APIRouter(include_in_schema=False)
Reporter = Annotated[Principal, page_requires(Permission.report_progress)]
_NOT_ACCEPTED = Message(
    N_("rectrack keeps PDF, Word, Excel, OpenDocument, PNG, JPEG, CSV and plain text files; this "
       "file's content is none of those.")
)  # fmt: skip
_TOO_LARGE = Message(N_("The file is larger than rectrack keeps (%(megabytes)s MB at most)."))
_NOT_EDITABLE = Message(N_("Files are added to and removed from drafts and rejected updates only."))


async def _update(session: SessionDep, update_id: uuid.UUID) -> ProgressUpdate:
    update = await session.get(ProgressUpdate, update_id)
    if update is None:
        raise NotFound(f"There is no progress update {update_id}.")
    return update


async def attach(
    request: Request, session: SessionDep, context: WebDep, principal: Reporter,
    update_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/progress-updates/{id}/attachments, as a form on the recommendation's page."""
    update = await _update(session, update_id)
    settings = request.app.state.settings
    await service.may_attach(session, update, principal, settings)
    key = f"files-{update.id}"
    try:
        received = await storage.receive_upload(request, settings)
    except PayloadTooLarge:
        megabytes = round(settings.max_attachment_bytes / 1024 / 1024, 1)
        outcome = Outcome(errors={"file": Message(_TOO_LARGE.text, {"megabytes": megabytes})})
        return await _answer(request, session, context, update, outcome, key)
    except AppError as refused:
        if refused.status != 422:
            raise
        # Not a browser's form (no file part, a field too long): nothing was kept.
        outcome = Outcome(errors={"file": REQUIRED})
        return await _answer(request, session, context, update, outcome, key)
    try:
        check_csrf(context, received.fields.get(CSRF_FIELD))
    except AppError:
        received.discard()
        raise
    if not received.size:  # the form sent without choosing a file
        received.discard()
        outcome = Outcome(errors={"file": REQUIRED})
        return await _answer(request, session, context, update, outcome, key)
    public = received.fields.get("public") == "on"
    try:
        await service.add(session, settings, update, received, public, principal)
    except UnsupportedMediaType:
        outcome = Outcome(errors={"file": _NOT_ACCEPTED})
    except Conflict:
        outcome = Outcome(problem=_NOT_EDITABLE)
    else:
        outcome = Outcome()
    return await _answer(request, session, context, update, outcome, key)


async def _answer(
    request: Request, session: SessionDep, context: WebDep, update: ProgressUpdate,
    outcome: Outcome, key: str,
) -> Response:  # fmt: skip
    return await answer_detail_form(
        request, session, context, update.recommendation_id, outcome, failed=key,
        done=Message(N_("The file is attached.")),
    )  # fmt: skip


router.add_api_route(
    "/progress-updates/{update_id:uuid}/attachments", attach, methods=["POST"],
    route_class_override=RefusedBeforeBody,
)  # fmt: skip


@router.post("/attachments/{attachment_id:uuid}/delete")
async def delete(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reporter,
    attachment_id: uuid.UUID,
) -> Response:  # fmt: skip
    attachment = await service.get_visible(session, attachment_id, principal)
    update = await _update(session, attachment.progress_update_id)
    try:
        await service.delete(session, request.app.state.settings, attachment, principal)
    except Conflict:
        outcome = Outcome(problem=_NOT_EDITABLE)
    else:
        outcome = Outcome()
    return await answer_detail_form(
        request, session, context, update.recommendation_id, outcome,
        failed=f"files-{update.id}", done=Message(N_("The file is deleted.")),
    )  # fmt: skip


@router.get("/attachments/{attachment_id:uuid}")
async def download(
    request: Request, session: SessionDep, context: WebDep, attachment_id: uuid.UUID
) -> FileResponse:
    """The public gets the public files of validated updates only, as from the API."""
    attachment = await service.get_visible(session, attachment_id, context.principal)
    return file_response(request.app.state.settings, attachment)
