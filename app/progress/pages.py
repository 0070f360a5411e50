"""The overview (`/`): the SDG chart, counts by status, overdue actions, and one's own work."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.actions.service import most_overdue
from app.db import SessionDep
from app.i18n import Language
from app.planning.my_work import my_work
from app.progress import chart, service
from app.progress.schemas import Figures
from app.recommendations.filters import RecommendationFilters
from app.web import choices
from app.web.i18n import N_, page_language
from app.web.sessions import WebDep
from app.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/", N_("Overview")),)
SVG = "image/svg+xml"
OVERDUE_SHOWN = 5


@router.get("/")
async def overview(request: Request, session: SessionDep, context: WebDep) -> Response:
    everything = RecommendationFilters()
    lang = page_language(request)
    progress = await service.sdg_progress(session, everything, lang)
    overdue_count, overdue = await most_overdue(session, OVERDUE_SHOWN)
    # Read from the tally rather than counted over the corpus (service.total); the page shows
    # the overdue actions of most_overdue, not those of totals.
    totals = Figures.from_counts(await service.corpus_total(session), overdue_count)
    names = await choices.names_of_institutions(
        session, {a.institution_id for a in overdue if a.institution_id}
    )
    values: dict[str, Any] = {
        "progress": progress,
        "totals": totals,
        "overdue_count": overdue_count,
        "overdue": overdue,
        "institution_names": names,
        "work": await my_work(session, context.principal) if context.principal else None,
        "institution_id": context.principal.institution_id if context.principal else None,
    }
    return render(request, "progress/overview.html", values)


@router.get("/charts/sdgs.svg")
async def sdg_chart(
    request: Request, session: SessionDep, lang: Language | None = None
) -> Response:
    """The overview's chart (the API's own is /api/v1/progress/sdgs.svg)."""
    lang = lang or page_language(request)
    progress = await service.sdg_progress(session, RecommendationFilters(), lang)
    return Response(
        chart.sdg_chart(progress, lang),
        media_type=SVG,
        headers={"Cache-Control": "private, no-cache", "Vary": "Cookie, Accept-Language"},
    )
