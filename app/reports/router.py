"""Reports to the UN mechanisms as documents (DESIGN §10): viewers and up."""

from typing import Annotated

from fastapi import APIRouter, Response

from app.auth.dependencies import requires
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.documents import DocumentSlotsDep
from app.errors import problem_responses
from app.i18n import LanguageDep
from app.reports.output import make_report
from app.reports.schemas import MEDIA_TYPES, ReportRequest

router = APIRouter(
    prefix="/reports", tags=["reports"], responses=problem_responses(400, 401, 403, 422, 503)
)


@router.post(
    "",
    summary="A report to the UN (UPR mid-term, treaty-body follow-up, implementation plan) "
    "as DOCX, Markdown or HTML",
    response_class=Response,
    responses={
        200: {
            "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
            "description": "The document, as an attachment",
        }
    },
)
async def create_report(
    session: SessionDep,
    _: Annotated[Principal, requires(Permission.read_reports)],
    data: ReportRequest,
    lang: LanguageDep,
    slots: DocumentSlotsDep,
) -> Response:
    with slots.held():
        report = await make_report(session, data, lang)
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
