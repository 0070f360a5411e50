"""Downloads of recommendations, actions and progress updates (DESIGN §10)."""

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.actions.dependencies import ActionFiltersDep
from app.auth.dependencies import CurrentPrincipal
from app.clock import today
from app.documents import SlotHoldingResponse, document_slots
from app.errors import problem_responses
from app.exports import service
from app.exports.formats import MEDIA_TYPES, Column, ExportFormat, export_stream, file_name
from app.i18n import LanguageDep
from app.progress_updates.dependencies import UpdateFiltersDep
from app.recommendations.filters import RecommendationFiltersDep
from app.recommendations.service import SortName

router = APIRouter(tags=["exports"], responses=problem_responses(400, 401, 422, 503))

FormatQuery = Annotated[
    ExportFormat,
    Query(alias="format", description="csv (UTF-8 with a BOM), xlsx, or ndjson (JSON lines)"),
]
_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, streamed: a dated attachment",
        "content": {
            media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media_type in MEDIA_TYPES.values()
        },
    }
}


def _download(
    request: Request,
    fmt: ExportFormat,
    stem: str,
    sheet: str,
    columns: Sequence[Column],
    batches: AsyncIterator[Any],
) -> StreamingResponse:
    name = file_name(stem, fmt, today())
    stream = export_stream(fmt, sheet, columns, batches)
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        # An export can hold what only signed-in readers see: never kept by a shared cache.
        "Cache-Control": "no-store",
    }
    if fmt == "xlsx":
        # XLSX is built whole in a worker thread before a byte goes out: bounded per process
        # (CSV and NDJSON stream row by row and hold little).
        slots = document_slots(request)
        slots.take()
        return SlotHoldingResponse(stream, slots, media_type=MEDIA_TYPES[fmt], headers=headers)
    return StreamingResponse(stream, media_type=MEDIA_TYPES[fmt], headers=headers)


@router.get(
    "/recommendations/export",
    summary="Download the recommendations the list would show (CSV, XLSX or NDJSON)",
    response_class=StreamingResponse,
    responses=_DOWNLOAD,
)
async def export_recommendations(
    request: Request,
    lang: LanguageDep,
    filters: RecommendationFiltersDep,
    fmt: FormatQuery = "csv",
    sort: Annotated[SortName, Query()] = "-publication_date",
) -> StreamingResponse:
    batches = service.recommendation_batches(request.app.state.sessionmaker, filters, sort, lang)
    return _download(
        request, fmt, "recommendations", "Recommendations", service.RECOMMENDATION_COLUMNS, batches
    )


@router.get(
    "/actions/export",
    summary="Download the actions the list would show (CSV, XLSX or NDJSON)",
    response_class=StreamingResponse,
    responses=_DOWNLOAD,
)
async def export_actions(
    request: Request, filters: ActionFiltersDep, _: LanguageDep, fmt: FormatQuery = "csv"
) -> StreamingResponse:
    batches = service.action_batches(request.app.state.sessionmaker, filters)
    return _download(request, fmt, "actions", "Actions", service.ACTION_COLUMNS, batches)


@router.get(
    "/progress-updates/export",
    summary="Download progress updates (the public gets validated ones only)",
    response_class=StreamingResponse,
    responses=_DOWNLOAD,
)
async def export_progress_updates(
    request: Request,
    principal: CurrentPrincipal,
    filters: UpdateFiltersDep,
    _: LanguageDep,
    fmt: FormatQuery = "csv",
) -> StreamingResponse:
    batches = service.progress_update_batches(
        request.app.state.sessionmaker, filters, public=principal is None
    )
    return _download(
        request,
        fmt,
        "progress-updates",
        "Progress updates",
        service.PROGRESS_UPDATE_COLUMNS,
        batches,
    )
