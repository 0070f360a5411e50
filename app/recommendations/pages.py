"""/recommendations (search, filters, the coordinator's bulk step) and /recommendations/{id}."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.datastructures import QueryParams

from app.assignments import service as assignments
from app.assignments.schemas import AssignmentBulk
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clusters import service as clusters
from app.clusters.dependencies import cluster_by_id
from app.clusters.schemas import ClusterMembers
from app.db import SessionDep
from app.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    UnprocessableEntity,
)
from app.recommendations import service
from app.recommendations.details import answer_detail_form, detail_values, render_detail
from app.recommendations.excerpts import excerpt
from app.recommendations.listing import PAGE_SIZES, SORTS, ListQuery, parse_list_query
from app.recommendations.reads import read_models
from app.recommendations.schemas import BulkPriority, RecommendationUpdate
from app.suggestions import service as suggestions
from app.web import choices
from app.web.flash import flash
from app.web.forms import (
    FieldErrors,
    attempt,
    check_version,
    form_values,
    page_uuid,
    unprocessable_errors,
    validation_errors,
)
from app.web.i18n import N_, Message, page_language
from app.web.sessions import CsrfDep, SignedInDep, WebContext, WebDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/recommendations", N_("Recommendations")),)
Editor = Annotated[Principal, page_requires(Permission.write_recommendations)]
# The bulk step's operations, each with the permission of the API operation it stands for.
BULK_PERMISSIONS = {
    "assign": Permission.plan,  # POST /assignments/bulk
    "cluster": Permission.plan,  # POST /clusters/{id}/recommendations
    "priority": Permission.write_recommendations,  # POST /recommendations/bulk-update
}
_NOTHING_TICKED = Message(N_("Tick at least one recommendation."))
_STALE = Message(
    N_("Someone else changed this recommendation after you opened the page. Nothing was saved. "
       "The current values are shown below; make your change again if it is still needed.")
)  # fmt: skip


async def _list_page(
    request: Request, session: SessionDep, context: WebContext, params: Any,
    *, ticked: list[str] | None = None, bulk: dict[str, str] | None = None,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    lang = page_language(request)
    listing: ListQuery = await parse_list_query(session, params)
    try:
        rows, next_cursor, _ = await service.list_recommendations(
            session, listing.filters, listing.sort, listing.page, lang
        )
    except BadRequest:  # a cursor from another ordering, or mangled: start again
        listing.page = type(listing.page)(listing.page.limit, None, False)
        rows, next_cursor, _ = await service.list_recommendations(
            session, listing.filters, listing.sort, listing.page, lang
        )
    items = await read_models(session, rows, lang)
    country_codes = {code for item in items for code in item.countries}
    can_bulk = {op: context.can(permission) for op, permission in BULK_PERMISSIONS.items()}
    values: dict[str, Any] = {
        "listing": listing,
        "items": [(item, excerpt(item.text, lang, listing.terms)) for item in items],
        "next_cursor": next_cursor,
        "sorts": SORTS,
        "page_sizes": PAGE_SIZES,
        "country_names": await choices.names_of_countries(session, country_codes, lang),
        "goal_names": await choices.goal_names(session, lang),
        "options": {
            "country": await choices.countries(session, lang),
            "mechanism": await choices.mechanisms(session, lang),
            "theme": await choices.themes(session, lang),
            "cluster": await choices.clusters(session),
            "institution": await choices.institutions(session),
        },
        "bulk_ops": [operation for operation, allowed in can_bulk.items() if allowed],
        "focal_points": await choices.focal_points(session) if can_bulk["assign"] else [],
        "ticked": set(ticked or []),
        "bulk": bulk or {},
        "bulk_errors": errors or {},
        "list_query": str(params),
    }
    return render(request, "recommendations/list.html", values, status_code=status_code)


@router.get("/recommendations")
async def list_page(request: Request, session: SessionDep, context: WebDep) -> Response:
    return await _list_page(request, session, context, request.query_params)


async def _bulk(
    session: SessionDep, principal: Principal, operation: str, ids: list[str],
    values: dict[str, Any],
) -> Message:  # fmt: skip
    """Run one bulk operation through its service; raises ValidationError or an AppError."""
    if operation == "assign":
        data = AssignmentBulk.model_validate({**values, "recommendation_ids": ids})
        result = await assignments.bulk_assign(session, data, principal)
        count = result.created + result.updated
        return Message(N_("Recommendations assigned: %(count)s."), {"count": count})
    if operation == "cluster":
        cluster_id = values.get("cluster_id")
        if not cluster_id:
            raise UnprocessableEntity.for_field("cluster_id", "missing", "missing")
        try:
            cluster = await cluster_by_id(session, uuid.UUID(cluster_id))
        except (ValueError, NotFound) as exc:
            raise UnprocessableEntity.for_field("cluster_id", "unknown", "unknown") from exc
        # The API's body, so that a mangled id is a form error (422) as it is there.
        try:
            members = ClusterMembers.model_validate({"recommendation_ids": ids})
        except ValidationError as exc:
            raise UnprocessableEntity.for_field("ids", "not a recommendation", "invalid") from exc
        added = await clusters.add_members(session, cluster, members.recommendation_ids, principal)
        return Message(N_("Recommendations added to the cluster: %(count)s."), {"count": added})
    priority = values.get("new_priority")
    data_priority = BulkPriority.model_validate(
        {"ids": ids, "priority": None if priority in (None, "none") else priority}
    )
    changed = await service.bulk_set_priority(
        session, data_priority.ids, data_priority.priority, principal
    )
    return Message(N_("Priorities changed: %(count)s."), {"count": changed})


@router.post("/recommendations/bulk")
async def bulk_step(
    request: Request, session: SessionDep, context: CsrfDep, principal: SignedInDep
) -> Response:
    """The coordinator's one step over the ticked rows: assign, add to a cluster, or prioritise."""
    form = await request.form()
    values = form_values(form, lists=("ids",))
    ids: list[str] = values.pop("ids", [])
    operation = str(values.pop("operation", ""))
    list_query = str(values.pop("list_query", ""))
    if operation not in BULK_PERMISSIONS:
        operation = "assign" if "institution_id" in values else "priority"
    if not principal.can(BULK_PERMISSIONS[operation]):
        raise Forbidden(f"Your role ({principal.role}) does not allow this ({operation}).")
    errors: FieldErrors = {}
    if not ids:
        errors["ids"] = _NOTHING_TICKED
    else:
        fields = {"assign": ("institution_id", "role", "start_date", "due_date",
                             "focal_point_id"), "cluster": ("cluster_id",),
                  "priority": ("new_priority",)}[operation]  # fmt: skip
        chosen = {k: v for k, v in values.items() if k in fields}
        try:
            notice = await _bulk(session, principal, operation, ids, chosen)
        except ValidationError as exc:
            errors = validation_errors(exc)
        except UnprocessableEntity as exc:
            errors = unprocessable_errors(exc)
        except Conflict:
            errors = {"": Message(N_("Some of these recommendations are led by another "
                                     "institution already; nothing was changed."))}  # fmt: skip
    if errors:
        await session.rollback()
        return await _list_page(
            request, session, context, QueryParams(list_query), ticked=ids,
            bulk={"operation": operation, **{k: str(v) for k, v in values.items()}},
            errors=errors, status_code=422,
        )  # fmt: skip
    flash(context, notice)
    return redirect(request, f"/recommendations?{list_query}" if list_query else "/recommendations")


@router.get("/recommendations/{recommendation_id}")
async def detail_page(
    request: Request, session: SessionDep, context: WebDep, recommendation_id: str
) -> Response:
    values = await detail_values(
        session, context, page_uuid(recommendation_id), page_language(request)
    )
    return render(request, "recommendations/detail.html", values)


@router.post("/recommendations/{recommendation_id}/priority")
async def set_priority(
    request: Request, session: SessionDep, context: CsrfDep, principal: Editor,
    recommendation_id: str,
) -> Response:  # fmt: skip
    """The detail page's priority form: PATCH /recommendations/{id} with If-Match, as a form."""
    rec_id = page_uuid(recommendation_id)
    rec = await service.get_recommendation(session, rec_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {rec_id}.")
    values = form_values(await request.form())
    priority = values.get("priority", "none")

    async def save() -> None:
        check_version(values.get("version"), rec.version)
        data = RecommendationUpdate.model_validate(
            {"priority": None if priority == "none" else priority}
        )
        await service.update_recommendation(session, rec, data, principal)

    outcome = await attempt(save, stale=_STALE)
    if outcome.failed:
        return await render_detail(request, session, context, rec_id, outcome, failed="priority")
    flash(context, Message(N_("The priority is saved.")))
    return redirect(request, f"/recommendations/{rec_id}")


@router.post("/recommendations/{recommendation_id}/suggestions/{code}/{decision}")
async def decide_suggestion(
    request: Request, session: SessionDep, context: CsrfDep, principal: Editor,
    recommendation_id: str, code: str, decision: str,
) -> Response:  # fmt: skip
    """The detail page's accept and reject buttons: the API's accept and reject, as forms."""
    rec_id = page_uuid(recommendation_id)
    if decision not in ("accept", "reject"):
        raise NotFound(f"There is nothing at {request.url.path}.")
    rec = await service.get_recommendation(session, rec_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {rec_id}.")

    async def save() -> None:
        if decision == "accept":
            await suggestions.accept(session, rec, code, principal)
        else:
            await suggestions.reject(session, rec, code, principal)

    done = (
        Message(N_("Target %(code)s is added."), {"code": code})
        if decision == "accept"
        else Message(N_("Target %(code)s will not be suggested again."), {"code": code})
    )
    return await answer_detail_form(
        request, session, context, rec_id, await attempt(save), failed="suggestions", done=done
    )
