"""/clusters: the list, a new cluster, and a cluster's page (its recommendations, its edit form,
taking recommendations out), with the API's schemas, services and permission (plan)."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clusters import service
from app.clusters.dependencies import cluster_by_id
from app.clusters.schemas import ClusterCreate, ClusterMembers, ClusterUpdate
from app.db import SessionDep
from app.errors import PreconditionFailed, PreconditionRequired, UnprocessableEntity
from app.models.cluster import Cluster
from app.web.flash import flash
from app.web.forms import FieldErrors, form_values, unprocessable_errors
from app.web.i18n import N_, Message
from app.web.records import STALE, check_form_version, form_problems, keyset_page
from app.web.sessions import CsrfDep, WebDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/clusters", N_("Clusters"), signed_in=True),)
Planner = Annotated[Principal, page_requires(Permission.plan)]
PAGE_SIZE = 50
MEMBERS_SHOWN = 100


def _edit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": values.get("name", ""),
        "description": values.get("description"),
        "archived": "archived" in values,
    }


async def _list_page(
    request: Request, session: SessionDep, *, form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    archived = request.query_params.get("archived") == "true"
    clusters, next_cursor, _ = await keyset_page(
        lambda page: service.list_clusters(session, archived=archived, q=None, params=page),
        request.query_params.get("cursor"),
        PAGE_SIZE,
    )
    values = {
        "clusters": clusters,
        "counts": await service.member_counts(session, [c.id for c in clusters]),
        "archived": archived,
        "next_cursor": next_cursor,
        "form": form or {},
        "errors": errors or {},
    }
    return render(request, "clusters/list.html", values, status_code=status_code)


@router.get("/clusters")
async def clusters(request: Request, session: SessionDep, context: WebDep) -> Response:
    return await _list_page(request, session)


@router.post("/clusters")
async def create(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner
) -> Response:
    values = form_values(await request.form())
    try:
        data = ClusterCreate.model_validate(
            {k: values[k] for k in ("name", "description") if k in values}
        )
        cluster = await service.create_cluster(session, data, planner)
    except (ValidationError, UnprocessableEntity) as exc:
        await session.rollback()
        errors = form_problems(exc)
        return await _list_page(request, session, form=values, errors=errors, status_code=422)
    flash(context, Message(N_("The cluster is created.")))
    return redirect(request, f"/clusters/{cluster.id}")


async def _cluster_page(
    request: Request, session: SessionDep, cluster: Cluster, *,
    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
    problem: Message | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    counts = await service.member_counts(session, [cluster.id])
    values = {
        "cluster": cluster,
        "count": counts.get(cluster.id, 0),
        "members": await service.first_members(session, cluster.id, MEMBERS_SHOWN),
        "form": form or {"name": cluster.name, "description": cluster.description,
                         "archived": cluster.archived},
        "errors": errors or {},
        "problem": problem,
    }  # fmt: skip
    return render(request, "clusters/detail.html", values, status_code=status_code)


@router.get("/clusters/{cluster_id:uuid}")
async def cluster_page(
    request: Request, session: SessionDep, context: WebDep, cluster_id: uuid.UUID
) -> Response:
    return await _cluster_page(request, session, await cluster_by_id(session, cluster_id))


@router.post("/clusters/{cluster_id:uuid}")
async def edit(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner,
    cluster_id: uuid.UUID,
) -> Response:  # fmt: skip
    """PATCH /clusters/{id} with If-Match, as a form."""
    cluster = await cluster_by_id(session, cluster_id)
    values = form_values(await request.form())
    typed = _edit_values(values)
    try:
        check_form_version(values, cluster.version)
        data = ClusterUpdate.model_validate({**typed, "description": typed["description"] or None})
        await service.update_cluster(session, cluster, data, planner)
    except (PreconditionFailed, PreconditionRequired):
        await session.rollback()
        current = await cluster_by_id(session, cluster_id)
        return await _cluster_page(request, session, current, problem=STALE, status_code=409)
    except (ValidationError, UnprocessableEntity) as exc:
        await session.rollback()
        current = await cluster_by_id(session, cluster_id)
        return await _cluster_page(
            request, session, current, form=typed, errors=form_problems(exc), status_code=422
        )
    flash(context, Message(N_("The cluster is saved.")))
    return redirect(request, f"/clusters/{cluster_id}")


@router.post("/clusters/{cluster_id:uuid}/remove")
async def remove(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner,
    cluster_id: uuid.UUID,
) -> Response:  # fmt: skip
    """DELETE /clusters/{id}/recommendations, as a form of ticked rows."""
    cluster = await cluster_by_id(session, cluster_id)
    values = form_values(await request.form(), lists=("ids",))
    try:
        data = ClusterMembers.model_validate({"recommendation_ids": values.get("ids", [])})
        removed = await service.remove_members(session, cluster, data.recommendation_ids, planner)
    except (ValidationError, UnprocessableEntity) as exc:
        await session.rollback()
        current = await cluster_by_id(session, cluster_id)
        errors = {"ids": Message(N_("Tick at least one recommendation."))}
        if isinstance(exc, UnprocessableEntity):
            errors = {"ids": unprocessable_errors(exc).popitem()[1]}
        return await _cluster_page(request, session, current, errors=errors, status_code=422)
    flash(context, Message(N_("Recommendations taken out: %(count)s."), {"count": removed}))
    return redirect(request, f"/clusters/{cluster_id}")
