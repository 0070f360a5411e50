"""Evidence files on progress updates (DESIGN §11)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response
from fastapi.responses import FileResponse

from app.attachments import service, storage
from app.attachments.responses import etag_of, file_response
from app.attachments.schemas import AttachmentRead
from app.auth.before_body import CheckedBeforeBody
from app.auth.dependencies import CurrentPrincipal, requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import UnprocessableEntity, problem_responses
from app.etag import check_if_match
from app.pagination import Page, PageParamsDep
from app.progress_updates.dependencies import ProgressUpdateDep

# The upload reads its body itself, after the caller, the update and its state were checked.
router = APIRouter(
    tags=["attachments"], responses=problem_responses(400, 401, 422), route_class=CheckedBeforeBody
)
Reporter = Annotated[Principal, requires(Permission.report_progress)]
_TRUE, _FALSE = {"true", "1", "on", "yes"}, {"false", "0", "off", "no", ""}
_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "public": {
                            "type": "boolean",
                            "default": False,
                            "description": "Shown to the public once the update is validated",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/progress-updates/{update_id:uuid}/attachments",
    status_code=201,
    summary="Attach an evidence file to a draft or rejected update",
    responses=problem_responses(403, 404, 409, 413, 415),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_attachment(
    session: SessionDep, actor: Reporter, update: ProgressUpdateDep, request: Request,
    response: Response,
) -> AttachmentRead:  # fmt: skip
    settings = request.app.state.settings
    await service.may_attach(session, update, actor, settings)
    received = await storage.receive_upload(request, settings)
    public = received.fields.get("public", "false").strip().lower()
    if public not in _TRUE | _FALSE:
        received.discard()
        raise UnprocessableEntity.for_field("body.public", "must be true or false", "bool")
    attachment = await service.add(session, settings, update, received, public in _TRUE, actor)
    response.headers["ETag"] = etag_of(attachment)
    response.headers["Location"] = str(
        request.url_for("download_attachment", attachment_id=attachment.id)
    )
    return AttachmentRead.build(attachment)


@router.get(
    "/progress-updates/{update_id:uuid}/attachments",
    summary="An update's evidence files (the public sees public files of validated updates)",
    responses=problem_responses(404),
)
async def list_attachments(
    session: SessionDep, principal: CurrentPrincipal, update: ProgressUpdateDep,
    page: PageParamsDep,
) -> Page[AttachmentRead]:  # fmt: skip
    found, next_cursor, total = await service.list_for_update(session, update, principal, page)
    items = [AttachmentRead.build(a).seen_by(principal) for a in found]
    return Page(items=items, next_cursor=next_cursor, total=total)


@router.get(
    "/attachments/{attachment_id:uuid}",
    summary="Download an evidence file",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The file"},
        **problem_responses(404),
    },
)
async def download_attachment(
    session: SessionDep, principal: CurrentPrincipal, attachment_id: uuid.UUID, request: Request
) -> FileResponse:
    attachment = await service.get_visible(session, attachment_id, principal)
    return file_response(request.app.state.settings, attachment)


@router.delete(
    "/attachments/{attachment_id:uuid}",
    status_code=204,
    summary="Delete a file of a draft or rejected update (needs If-Match)",
    responses=problem_responses(403, 404, 409, 412, 428),
)
async def delete_attachment(
    session: SessionDep, actor: Reporter, attachment_id: uuid.UUID, request: Request,
    if_match: Annotated[str | None, Header(description="The ETag last read")] = None,
) -> Response:  # fmt: skip
    attachment = await service.get_visible(session, attachment_id, actor)
    check_if_match(if_match, etag_of(attachment))
    await service.delete(session, request.app.state.settings, attachment, actor)
    return Response(status_code=204)
