"""The detail page's assignment forms: assign to an institution, change or withdraw an assignment.

Each calls the service the API's route calls, with the same permission (`plan`).
"""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.assignments import service
from app.assignments.dependencies import AssignmentDep
from app.assignments.schemas import AssignmentCreate, AssignmentUpdate
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.recommendations.details import answer_detail_form
from app.web.forms import attempt, check_version, form_values
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires

router = APIRouter(include_in_schema=False)
Planner = Annotated[Principal, page_requires(Permission.plan)]
_LEAD_TAKEN = Message(
    N_("Another institution leads this recommendation already. Nothing was saved; assign this "
       "one as support, or change the lead first.")
)  # fmt: skip
_DATES = ("start_date", "due_date")


@router.post("/recommendations/{recommendation_id:uuid}/assignments")
async def assign(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/assignments, as a form."""
    sent = form_values(await request.form())
    chosen = {k: v for k, v in sent.items()
              if k in ("institution_id", "role", "focal_point_id", *_DATES)}  # fmt: skip

    async def save() -> None:
        data = AssignmentCreate.model_validate({**chosen, "recommendation_id": recommendation_id})
        await service.create_assignment(session, data, principal)

    outcome = await attempt(save, conflict=_LEAD_TAKEN)
    return await answer_detail_form(
        request, session, context, recommendation_id, outcome, failed="assign", sent=sent,
        done=Message(N_("The recommendation is assigned.")),
    )  # fmt: skip


@router.post("/assignments/{assignment_id:uuid}")
async def change(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    assignment: AssignmentDep,
) -> Response:  # fmt: skip
    """PATCH /api/v1/assignments/{id} with If-Match, as a form: role, dates, focal point (an
    empty field clears a date or the focal point)."""
    sent = form_values(await request.form())
    rec_id = assignment.recommendation_id
    changes = {name: sent.get(name) for name in ("focal_point_id", *_DATES)}
    if "role" in sent:
        changes["role"] = sent["role"]

    async def save() -> None:
        check_version(sent.get("version"), assignment.version)
        data = AssignmentUpdate.model_validate(changes)
        await service.update_assignment(session, assignment, data, principal)

    outcome = await attempt(save, conflict=_LEAD_TAKEN)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"assignment-{assignment.id}",
        sent=sent, done=Message(N_("The assignment is saved.")),
    )  # fmt: skip


@router.post("/assignments/{assignment_id:uuid}/withdraw")
async def withdraw(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    assignment: AssignmentDep,
) -> Response:  # fmt: skip
    """DELETE /api/v1/assignments/{id} with If-Match, as a form."""
    sent = form_values(await request.form())
    rec_id = assignment.recommendation_id

    async def save() -> None:
        check_version(sent.get("version"), assignment.version)
        await service.delete_assignment(session, assignment, principal)

    outcome = await attempt(save)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"assignment-{assignment.id}",
        done=Message(N_("The assignment is withdrawn.")),
    )  # fmt: skip
