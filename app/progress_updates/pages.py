"""Progress updates on pages: write, edit and submit one (a recommendation's page); validate or
reject submitted ones with a comment (/validation, and a recommendation's page).

The same services and permissions as the API: `report_progress` to write (a focal point for its
own institution's assignments, which the service checks), `validate_progress` to review.
"""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.attachments import service as attachments
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import NotFound
from app.models.progress_update import ProgressUpdate
from app.progress_updates import service
from app.progress_updates.schemas import (
    ProgressUpdateCreate,
    ProgressUpdateEdit,
    Rejection,
    Review,
)
from app.recommendations import service as recommendations
from app.recommendations.details import answer_detail_form, render_detail
from app.web import choices
from app.web.flash import flash
from app.web.forms import attempt, check_version, form_values, sent_uuid
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, WebContext, WebDep, page_requires, roll_back
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/validation", N_("Validation"), permission=Permission.validate_progress),)
Reporter = Annotated[Principal, page_requires(Permission.report_progress)]
Reviewer = Annotated[Principal, page_requires(Permission.validate_progress)]
QUEUE_SHOWN = 100
_NOT_WAITING = Message(
    N_("This update is no longer waiting for validation: someone reviewed it, or its author "
       "took it back, meanwhile. Nothing was saved; its current state is shown.")
)  # fmt: skip
_NOT_EDITABLE = Message(
    N_("This update can no longer be changed: it was submitted or validated meanwhile. Nothing "
       "was saved.")
)  # fmt: skip


def _content(sent: dict[str, Any]) -> dict[str, Any]:
    """The update's fields from the form: the evidence links one per line."""
    links = [line.strip() for line in str(sent.get("evidence", "")).splitlines()]
    # A missing assessment is named as missing; an emptied narrative is cleared.
    chosen = {"assessment": sent["assessment"]} if "assessment" in sent else {}
    return {**chosen, "narrative": sent.get("narrative"), "evidence": [x for x in links if x]}


async def _update(session: AsyncSession, update_id: uuid.UUID) -> ProgressUpdate:
    # Pages are for the signed in (the dependency checked): every state is theirs to see.
    update = await session.get(ProgressUpdate, update_id)
    if update is None:
        raise NotFound(f"There is no progress update {update_id}.")
    return update


def _saved(submitting: bool) -> Message:
    if submitting:
        return Message(N_("The progress update is submitted for validation."))
    return Message(N_("The progress update is saved as a draft."))


@router.post("/recommendations/{recommendation_id:uuid}/progress-updates")
async def write(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reporter,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/recommendations/{id}/progress-updates (and …/submit when the person pressed
    "Submit"), as one form."""
    rec = await recommendations.get_recommendation(session, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    sent = form_values(await request.form())
    submitting = sent.get("intent") == "submit"

    async def save() -> None:
        data = ProgressUpdateCreate.model_validate(_content(sent))
        update = await service.create_update(session, rec, data, principal)
        if submitting:
            await service.submit(session, update, principal)

    outcome = await attempt(save)
    return await answer_detail_form(
        request, session, context, recommendation_id, outcome, failed="update", sent=sent,
        done=_saved(submitting),
    )  # fmt: skip


@router.post("/progress-updates/{update_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reporter,
    update_id: uuid.UUID,
) -> Response:  # fmt: skip
    """PATCH /api/v1/progress-updates/{id} with If-Match (and …/submit), as one form: a draft
    or a rejected update, edited and saved or submitted again."""
    update = await _update(session, update_id)
    rec_id = update.recommendation_id
    sent = form_values(await request.form())
    submitting = sent.get("intent") == "submit"

    async def save() -> None:
        check_version(sent.get("version"), update.version)
        data = ProgressUpdateEdit.model_validate(_content(sent))
        await service.edit_update(session, update, data, principal)
        if submitting:
            await service.submit(session, update, principal)

    outcome = await attempt(save, conflict=_NOT_EDITABLE)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"update-{update_id}", sent=sent,
        done=_saved(submitting),
    )  # fmt: skip


async def validation_values(session: AsyncSession, context: WebContext) -> dict[str, Any]:
    count, queue = await service.review_queue(session, QUEUE_SHOWN)
    return {
        "count": count,
        "queue": queue,
        "rec_names": await choices.names_of_recommendations(
            session, {u.recommendation_id for u in queue}
        ),
        "institution_names": await choices.names_of_institutions(
            session, {u.institution_id for u in queue if u.institution_id}
        ),
        "people": await choices.names_of_users(
            session, {u.author_id for u in queue if u.author_id}
        ),
        # The evidence files beside the links: what the reviewer checks before validating.
        "files": await attachments.files_of_updates(
            session, [u.id for u in queue], context.principal
        ),
        "max_attachment_megabytes": 0,
        "max_attachments": 0,
        "problem": None,
        "errors": {},
        "failed": None,
        "sent": {},
    }


@router.get("/validation")
async def validation_page(
    request: Request, session: SessionDep, context: WebDep, principal: Reviewer
) -> Response:
    """The coordinator's queue: submitted updates, the longest waiting first."""
    values = await validation_values(session, context)
    return render(request, "progress_updates/validation.html", values)


@router.post("/progress-updates/{update_id:uuid}/review")
async def review(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reviewer,
    update_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/progress-updates/{id}/validate or …/reject (a comment required), as one form
    with two buttons. A hidden `recommendation_id` says it was on that page, else /validation."""
    update = await _update(session, update_id)
    sent = form_values(await request.form())
    validating = sent.get("decision") == "validate"

    async def save() -> None:
        if validating:
            comment = Review.model_validate({"comment": sent.get("comment")}).comment
            await service.validate(session, update, principal, comment)
        else:
            rejection = Rejection.model_validate({"comment": sent.get("comment")})
            await service.reject(session, update, principal, rejection.comment)

    outcome = await attempt(save, conflict=_NOT_WAITING)
    rec_id = sent_uuid(sent, "recommendation_id")
    if outcome.failed:
        failed = f"review-{update_id}"
        if rec_id is not None:
            return await render_detail(
                request, session, context, rec_id, outcome, failed=failed, sent=sent
            )
        await roll_back(session, context)
        values = await validation_values(session, context)
        values.update(problem=outcome.problem, errors=outcome.errors, failed=failed,
                      sent={} if outcome.problem else sent)  # fmt: skip
        return render(request, "progress_updates/validation.html", values,
                      status_code=409 if outcome.problem else 422)  # fmt: skip
    if validating:
        flash(context, Message(N_("The progress update is validated.")))
    else:
        flash(context, Message(N_("The progress update is sent back to its author.")))
    return redirect(request, f"/recommendations/{rec_id}" if rec_id else "/validation")
