"""Action forms: a coordinator plans an action on the detail page; whoever the API lets change an
action's status (coordinators, the responsible institution's focal point) does so there or on
/my-work."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.actions import service
from app.actions.dependencies import ActionDep
from app.actions.schemas import ActionCreate, ActionUpdate
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.planning.pages import render_my_work
from app.recommendations.details import answer_detail_form, render_detail
from app.web.flash import flash
from app.web.forms import attempt, check_version, form_values, page_uuid, sent_uuid
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires
from app.web.templating import redirect

router = APIRouter(include_in_schema=False)
Planner = Annotated[Principal, page_requires(Permission.plan)]
Reporter = Annotated[Principal, page_requires(Permission.report_progress)]


@router.post("/recommendations/{recommendation_id:uuid}/actions")
async def plan(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/actions for this recommendation, as a form."""
    sent = form_values(await request.form())
    fields = ("title", "description", "institution_id", "start_date", "due_date")
    chosen = {k: v for k, v in sent.items() if k in fields}

    async def save() -> None:
        data = ActionCreate.model_validate({**chosen, "recommendation_ids": [recommendation_id]})
        await service.create_action(session, data, principal)

    outcome = await attempt(save)
    return await answer_detail_form(
        request, session, context, recommendation_id, outcome, failed="action", sent=sent,
        done=Message(N_("The action is planned.")),
    )  # fmt: skip


@router.post("/actions/{action_id:uuid}/status")
async def change_status(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reporter,
    action: ActionDep,
) -> Response:  # fmt: skip
    """PATCH /api/v1/actions/{id} `{status}` with If-Match, as a form. A hidden
    `recommendation_id` says the form was on that recommendation's page, else on /my-work."""
    sent = form_values(await request.form())
    failed = f"status-{action.id}"

    async def save() -> None:
        check_version(sent.get("version"), action.version)
        data = ActionUpdate.model_validate({"status": sent.get("status")})
        await service.update_action(session, action, data, principal)

    outcome = await attempt(save)
    rec_id = sent_uuid(sent, "recommendation_id")
    if outcome.failed:
        if rec_id is None:
            return await render_my_work(request, session, context, outcome, failed=failed)
        return await render_detail(request, session, context, rec_id, outcome, failed=failed)
    flash(context, Message(N_("The action's status is saved.")))
    return redirect(request, f"/recommendations/{rec_id}" if rec_id else "/my-work")


_EDITABLE = ("title", "description", "institution_id", "start_date", "due_date")


@router.post("/actions/{action_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    action: ActionDep,
) -> Response:  # fmt: skip
    """PATCH /api/v1/actions/{id} with If-Match, as a form on a recommendation's page: every
    field but the status (its own form); an emptied field clears it."""
    sent = form_values(await request.form())
    rec_id = page_uuid(str(sent.get("recommendation_id", "")))

    async def save() -> None:
        check_version(sent.get("version"), action.version)
        data = ActionUpdate.model_validate({name: sent.get(name) for name in _EDITABLE})
        await service.update_action(session, action, data, principal)

    outcome = await attempt(save)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"edit-action-{action.id}", sent=sent,
        done=Message(N_("The action is saved.")),
    )  # fmt: skip
