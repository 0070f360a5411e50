"""The detail page's indicator forms: a coordinator defines an indicator for the
recommendation; a coordinator, or a focal point where the API allows it, records a measurement."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import SessionDep
from app.indicators import service
from app.indicators.dependencies import IndicatorDep
from app.indicators.schemas import IndicatorCreate, IndicatorUpdate, MeasurementCreate
from app.recommendations.details import answer_detail_form
from app.web.forms import FieldErrors, Outcome, attempt, check_version, form_values, page_uuid
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires

router = APIRouter(include_in_schema=False)
Planner = Annotated[Principal, page_requires(Permission.plan)]
Reporter = Annotated[Principal, page_requires(Permission.report_progress)]
_NUMBER = Message(N_("Enter a number."))


def _numbers(values: dict[str, Any], names: tuple[str, ...]) -> FieldErrors:
    """A form's numbers as numbers (the schemas take JSON numbers only); the bad ones named."""
    errors: FieldErrors = {}
    for name in names:
        if name in values:
            try:
                values[name] = float(str(values[name]).replace(",", "."))
            except ValueError:
                errors[name] = _NUMBER
    return errors


@router.post("/recommendations/{recommendation_id:uuid}/indicators")
async def define(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    """POST /api/v1/indicators measuring this recommendation, as a form."""
    sent = form_values(await request.form())
    fields = ("name", "unit", "baseline", "baseline_date", "target", "target_date", "direction",
              "sdg_indicator")  # fmt: skip
    chosen = {k: v for k, v in sent.items() if k in fields}
    errors = _numbers(chosen, ("baseline", "target"))

    async def save() -> None:
        data = IndicatorCreate.model_validate({**chosen, "recommendation_ids": [recommendation_id]})
        await service.create_indicator(session, data, principal)

    outcome = Outcome(errors=errors) if errors else await attempt(save)
    return await answer_detail_form(
        request, session, context, recommendation_id, outcome, failed="indicator", sent=sent,
        done=Message(N_("The indicator is defined.")),
    )  # fmt: skip


@router.post("/indicators/{indicator_id:uuid}/measurements")
async def measure(
    request: Request, session: SessionDep, context: CsrfDep, principal: Reporter,
    indicator: IndicatorDep,
) -> Response:  # fmt: skip
    """POST /api/v1/indicators/{id}/measurements, as a form on a recommendation's page (its
    hidden `recommendation_id`)."""
    sent = form_values(await request.form())
    rec_id = page_uuid(str(sent.get("recommendation_id", "")))
    chosen = {k: v for k, v in sent.items() if k in ("date", "value", "note")}
    errors = _numbers(chosen, ("value",))

    async def save() -> None:
        data = MeasurementCreate.model_validate(chosen)
        await service.add_measurement(session, indicator, data, principal)

    outcome = Outcome(errors=errors) if errors else await attempt(save)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"measure-{indicator.id}", sent=sent,
        done=Message(N_("The measurement is recorded.")),
    )  # fmt: skip


_EDITABLE = ("name", "unit", "baseline", "target", "target_date", "sdg_indicator")


@router.post("/indicators/{indicator_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    indicator: IndicatorDep,
) -> Response:  # fmt: skip
    """PATCH /api/v1/indicators/{id} with If-Match, as a form on a recommendation's page; an
    emptied field clears it."""
    sent = form_values(await request.form())
    rec_id = page_uuid(str(sent.get("recommendation_id", "")))
    chosen = {name: sent.get(name) for name in _EDITABLE}
    numbers = {k: chosen[k] for k in ("baseline", "target") if chosen[k] is not None}
    errors = _numbers(numbers, ("baseline", "target"))
    chosen.update(numbers)

    async def save() -> None:
        check_version(sent.get("version"), indicator.version)
        data = IndicatorUpdate.model_validate(chosen)
        await service.update_indicator(session, indicator, data, principal)

    outcome = Outcome(errors=errors) if errors else await attempt(save)
    return await answer_detail_form(
        request, session, context, rec_id, outcome, failed=f"edit-indicator-{indicator.id}",
        sent=sent, done=Message(N_("The indicator is saved.")),
    )  # fmt: skip
