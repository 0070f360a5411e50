"""/my-work: the signed-in person's assignments, their institution's open actions (overdue
first, then soonest due) and their own progress updates still to finish."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.service import linked_recommendations
from app.clock import today
from app.db import SessionDep
from app.planning.my_work import work_lists
from app.web import choices
from app.web.forms import Outcome
from app.web.i18n import N_
from app.web.sessions import SignedInDep, WebContext, WebDep, roll_back
from app.web.templating import NavItem, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/my-work", N_("My work"), signed_in=True),)
SHOWN = 200


async def my_work_values(session: AsyncSession, context: WebContext) -> dict[str, Any]:
    assert context.principal is not None
    lists = await work_lists(session, context.principal, SHOWN)
    links = await linked_recommendations(session, [a.id for a in lists.actions])
    rec_ids = {a.recommendation_id for a in lists.assignments}
    rec_ids |= {u.recommendation_id for u in lists.updates}
    rec_ids |= {i for ids in links.values() for i in ids}
    institution_ids = {a.institution_id for a in lists.assignments}
    return {
        "lists": lists,
        "action_links": links,
        "rec_names": await choices.names_of_recommendations(session, rec_ids),
        "institution_names": await choices.names_of_institutions(session, institution_ids),
        "today": today(),
        "problem": None,
        "errors": {},
        "failed": None,
    }


@router.get("/my-work")
async def my_work_page(
    request: Request, session: SessionDep, context: WebDep, principal: SignedInDep
) -> Response:
    return render(request, "planning/my_work.html", await my_work_values(session, context))


async def render_my_work(
    request: Request, session: AsyncSession, context: WebContext, outcome: Outcome, *, failed: str
) -> Response:
    """/my-work again after one of its forms failed (rolled back; current values shown)."""
    await roll_back(session, context)
    values = await my_work_values(session, context)
    values.update(problem=outcome.problem, errors=outcome.errors, failed=failed)
    return render(request, "planning/my_work.html", values,
                  status_code=409 if outcome.problem else 422)  # fmt: skip
