"""What /recommendations/{id} shows, read through the services the API's routes use.

The public sees what the API shows it: validated progress updates only, no people, no history.
"""

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions import service as actions
from app.assignments import service as assignments
from app.attachments import service as attachments
from app.audit import service as audit
from app.auth.permissions import Permission
from app.clock import today
from app.errors import NotFound
from app.i18n import Language, localize
from app.indicators import service as indicators
from app.indicators.schemas import IndicatorRead
from app.models.audit import AuditRecord
from app.models.sdg import SdgTarget
from app.pagination import PageParams
from app.progress_updates import service as progress_updates
from app.recommendations import service
from app.recommendations.reads import read_models
from app.similarity.pages import section_values as similarity_values
from app.suggestions import service as suggestions
from app.web import choices
from app.web.flash import flash
from app.web.forms import Outcome
from app.web.i18n import Message, page_language
from app.web.sessions import WebContext, roll_back
from app.web.templating import redirect, render

SHOWN = PageParams(limit=100, cursor=None, include_total=False)
HISTORY_SHOWN = PageParams(limit=50, cursor=None, include_total=False)


async def _target_titles(session: AsyncSession, codes: list[str], lang: Language) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(SdgTarget.code, SdgTarget.title).where(SdgTarget.code.in_(codes))
    )
    return {code: localize(title, lang) for code, title in rows.all()}


async def detail_values(
    session: AsyncSession, context: WebContext, rec_id: uuid.UUID, lang: Language
) -> dict[str, Any]:
    row = await service.find_recommendation(session, rec_id, lang)
    if row is None:
        raise NotFound(f"There is no recommendation {rec_id}.")
    rec = (await read_models(session, [row], lang))[0]
    principal = context.principal
    found_assignments, _, _ = await assignments.list_assignments(
        session, recommendation_id=rec_id, institution_id=None, focal_point_id=None, role=None,
        due_before=None, params=SHOWN,
    )  # fmt: skip
    found_actions, _, _ = await actions.list_actions(
        session, actions.ActionFilters(recommendation=rec_id), SHOWN
    )
    found_indicators, _, _ = await indicators.list_indicators(
        session, recommendation=rec_id, action=None, sdg_indicator=None, params=SHOWN
    )
    ids = [i.id for i in found_indicators]
    links = await indicators.links(session, ids)
    latest = await indicators.latest_measurements(session, ids)
    updates, _, _ = await progress_updates.list_updates(
        session, principal, recommendation=rec_id, institution=None, state=None, params=SHOWN
    )
    files = await attachments.files_of_updates(session, [u.id for u in updates], principal)
    history: list[AuditRecord] = []
    if context.can(Permission.read_history):
        filters = audit.AuditFilters(entity_type="recommendation", entity_id=str(rec_id))
        history, _, _ = await audit.list_records(session, filters, HISTORY_SHOWN)
    institution_ids = {a.institution_id for a in found_assignments}
    institution_ids |= {a.institution_id for a in found_actions if a.institution_id}
    institution_ids |= {u.institution_id for u in updates if u.institution_id}
    people: set[uuid.UUID] = set()
    if principal is not None:  # the public never sees who (DESIGN §6)
        people = {a.focal_point_id for a in found_assignments if a.focal_point_id}
        people |= {u.author_id for u in updates if u.author_id}
        people |= {u.reviewed_by_id for u in updates if u.reviewed_by_id}
    can_plan = context.can(Permission.plan)
    can_edit = context.can(Permission.write_recommendations)
    # Suggestions are the coordinators' to decide: only they see them (and pay for them).
    suggested = []
    if can_edit and not rec.archived:
        loaded = await suggestions.recommendation_for_suggestions(session, rec_id)
        if loaded is not None:
            suggested = (await suggestions.suggest(session, loaded)).sdg_targets
    mine = principal.institution_id if principal is not None else None
    assigned_here = mine is not None and any(a.institution_id == mine for a in found_assignments)
    return {
        "rec": rec,
        "assignments": found_assignments,
        "actions": found_actions,
        "indicators": [
            IndicatorRead.build(i, links[i.id], latest.get(i.id)) for i in found_indicators
        ],
        "updates": updates,
        "files": files,
        "max_attachment_megabytes": round(context.settings.max_attachment_bytes / 1024 / 1024, 1),
        "max_attachments": context.settings.max_attachments_per_update,
        "history": history,
        "country_names": await choices.names_of_countries(session, set(rec.countries), lang),
        "goal_names": await choices.goal_names(session, lang),
        "target_titles": await _target_titles(
            session, rec.sdg_targets + [s.code for s in suggested], lang
        ),
        "suggestions": suggested,
        "institution_names": await choices.names_of_institutions(session, institution_ids),
        "people": await choices.names_of_users(session, people),
        "can_edit": can_edit,
        "can_plan": can_plan,
        # What the forms offer; the services decide again when a form is sent.
        "can_report": context.can(Permission.report_progress) and (can_plan or assigned_here),
        "can_review": context.can(Permission.validate_progress),
        "my_institution": mine,
        "institution_options": await choices.institutions(session) if can_plan else [],
        "focal_point_options": await choices.focal_points(session) if can_plan else [],
        "cluster_options": await choices.clusters(session) if can_plan else [],
        "today": today(),
        "similarity": await similarity_values(session, context, rec_id),
        "problem": None,
        "errors": {},
        "failed": None,  # which form came back with problems
        "sent": {},  # and what it held
    }


async def render_detail(
    request: Request, session: AsyncSession, context: WebContext, rec_id: uuid.UUID,
    outcome: Outcome, *, failed: str, sent: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    """The detail page again after one of its forms failed: rolled back, the form's input kept
    (unless the edit was stale: then the current values show), problems next to its fields."""
    await roll_back(session, context)
    values = await detail_values(session, context, rec_id, page_language(request))
    values.update(
        problem=outcome.problem, errors=outcome.errors, failed=failed,
        sent={} if outcome.problem else (sent or {}),
    )  # fmt: skip
    return render(request, "recommendations/detail.html", values,
                  status_code=409 if outcome.problem else 422)  # fmt: skip


async def answer_detail_form(
    request: Request, session: AsyncSession, context: WebContext, rec_id: uuid.UUID,
    outcome: Outcome, *, failed: str, done: Message, sent: dict[str, Any] | None = None,
) -> Response:  # fmt: skip
    """The answer to one of the detail page's forms: the page again with its problems, or
    back to the page with the notice `done`."""
    if outcome.failed:
        return await render_detail(request, session, context, rec_id, outcome, failed=failed,
                                   sent=sent)  # fmt: skip
    flash(context, done)
    return redirect(request, f"/recommendations/{rec_id}")
