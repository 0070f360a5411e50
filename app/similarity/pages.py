"""The workspace's near-duplicates: the "Similar recommendations" part of a recommendation's
page (its template, similarity/section.html, is included there), linking and unlinking
duplicates, and /duplicates?country=, where a coordinator puts a group into a cluster or links
it in one step. Same services, schemas and permission (plan) as the API."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clusters import service as clusters
from app.clusters.dependencies import cluster_by_id
from app.clusters.schemas import ClusterCreate
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.models.country import Country
from app.models.recommendation import Recommendation
from app.similarity import service
from app.similarity.schemas import MAX_LINKED, LinkRequest
from app.web import choices
from app.web.flash import flash
from app.web.forms import form_values, page_uuid
from app.web.i18n import N_, Message, page_language
from app.web.sessions import CsrfDep, WebContext, WebDep, page_requires
from app.web.templating import NavItem, redirect, render

router = APIRouter(include_in_schema=False)
NAVIGATION = (NavItem("/duplicates", N_("Duplicates"), signed_in=True),)
Planner = Annotated[Principal, page_requires(Permission.plan)]
SIMILAR_SHOWN = 10
GROUPS_SHOWN = 100


async def _labels(
    session: AsyncSession, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str | None]]:
    return await choices.names_of_recommendations(session, set(ids))


async def section_values(
    session: AsyncSession, context: WebContext, rec_id: uuid.UUID
) -> dict[str, Any]:
    """What similarity/section.html shows on a recommendation's page."""
    rec = await session.get(Recommendation, rec_id)
    if rec is None:
        return {"similar": [], "duplicates": []}
    threshold = context.settings.duplicate_threshold
    found = [] if rec.archived else await service.similar(
        session, rec, threshold=threshold, limit=SIMILAR_SHOWN
    )  # fmt: skip
    _, linked = await service.group_of(session, rec_id)
    names = await _labels(session, [i for i, _ in found] + linked)
    return {
        "similar": [(i, names.get(i), score, i in linked) for i, score in found],
        "duplicates": [(i, names.get(i)) for i in linked],
    }


@router.post("/recommendations/{recommendation_id}/duplicates")
async def link(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner,
    recommendation_id: str,
) -> Response:  # fmt: skip
    """POST /recommendations/{id}/duplicates, as a form naming one other recommendation."""
    rec_id = page_uuid(recommendation_id)
    if await session.get(Recommendation, rec_id) is None:
        raise NotFound(f"There is no recommendation {rec_id}.")
    values = form_values(await request.form())
    try:
        data = LinkRequest.model_validate({"recommendation_ids": [values.get("other", "")]})
        await service.link(session, rec_id, data.recommendation_ids, planner)
    except (ValidationError, UnprocessableEntity):
        await session.rollback()
        flash(context, Message(N_("That recommendation could not be linked.")))
        return redirect(request, f"/recommendations/{rec_id}#similar-heading")
    flash(context, Message(N_("Linked as a duplicate.")))
    return redirect(request, f"/recommendations/{rec_id}#similar-heading")


@router.post("/recommendations/{recommendation_id}/duplicates/{other_id}/unlink")
async def unlink(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner,
    recommendation_id: str, other_id: str,
) -> Response:  # fmt: skip
    """DELETE /recommendations/{id}/duplicates/{other_id}, as a form."""
    rec_id = page_uuid(recommendation_id)
    await service.unlink(session, rec_id, page_uuid(other_id), planner)
    flash(context, Message(N_("No longer linked as a duplicate.")))
    return redirect(request, f"/recommendations/{rec_id}#similar-heading")


async def _country(session: AsyncSession, value: str | None) -> str | None:
    iso3 = (value or "").strip().upper()
    if not iso3:
        return None
    found = await session.scalar(select(Country.iso3).where(Country.iso3 == iso3))
    return found


@router.get("/duplicates")
async def duplicates_page(request: Request, session: SessionDep, context: WebDep) -> Response:
    lang = page_language(request)
    country = await _country(session, request.query_params.get("country"))
    groups: list[dict[str, Any]] = []
    if country is not None:
        threshold = request.app.state.settings.duplicate_threshold
        found = await service.duplicates_for_country(
            session, country, threshold=threshold, limit=GROUPS_SHOWN
        )
        ids = [i for g in found for i in g.recommendation_ids]
        names = await _labels(session, ids)
        linked = await service.linked_groups(session, ids)
        texts = dict((await session.execute(
            select(Recommendation.id, Recommendation.text).where(Recommendation.id.in_(ids))
        )).all()) if ids else {}  # fmt: skip
        for g in found:
            groups.append({
                "ids": g.recommendation_ids, "score": g.score,
                "members": [(i, names.get(i), texts.get(i, {})) for i in g.recommendation_ids],
                "linked": len({linked.get(i) for i in g.recommendation_ids}) == 1
                and linked.get(g.recommendation_ids[0]) is not None,
            })  # fmt: skip
    can_plan = context.can(Permission.plan)
    values = {
        "country": country,
        "asked": request.query_params.get("country", ""),
        "countries": await choices.countries(session, lang),
        "groups": groups,
        "cluster_options": await choices.clusters(session) if can_plan else [],
        "can_plan": can_plan,
    }
    return render(request, "similarity/duplicates.html", values)


@router.post("/duplicates/group")
async def group_step(
    request: Request, session: SessionDep, context: CsrfDep, planner: Planner
) -> Response:
    """One group in one step: into a cluster (an existing one, or a new one named here), or
    linked as duplicates (POST /clusters/{id}/recommendations, POST /clusters,
    POST /recommendations/{id}/duplicates)."""
    values = form_values(await request.form(), lists=("ids",))
    country = await _country(session, values.get("country"))
    back = f"/duplicates?country={country}" if country else "/duplicates"
    try:
        # A group may be larger than one API call takes (MAX_LINKED): it is linked in
        # steps, all in this request's one transaction.
        members = list(dict.fromkeys(uuid.UUID(str(value)) for value in values.get("ids", [])))
    except ValueError:
        members = []
    if len(members) < 2:
        flash(context, Message(N_("The group could not be changed; nothing was changed.")))
        return redirect(request, back)
    try:
        if values.get("operation") == "link":
            for start in range(1, len(members), MAX_LINKED):
                step = members[start : start + MAX_LINKED]
                await service.link(session, members[0], step, planner)
            notice = Message(N_("Linked as duplicates: %(count)s."), {"count": len(members)})
        else:
            notice = await _into_cluster(session, values, members, planner)
    except _NoCluster:
        await session.rollback()
        flash(context, Message(N_("Choose a cluster or name a new one; nothing was changed.")))
        return redirect(request, back)
    except (ValidationError, UnprocessableEntity, NotFound):
        await session.rollback()
        flash(context, Message(N_("The group could not be changed; nothing was changed.")))
        return redirect(request, back)
    flash(context, notice)
    return redirect(request, back)


class _NoCluster(Exception):
    """The form named neither an existing cluster nor a new one."""


async def _into_cluster(
    session: AsyncSession, values: dict[str, Any], members: list[uuid.UUID], planner: Principal
) -> Message:
    if values.get("new_cluster"):
        data = ClusterCreate.model_validate({"name": values["new_cluster"]})
        cluster = await clusters.create_cluster(session, data, planner)
    elif values.get("cluster_id"):
        try:
            cluster_id = uuid.UUID(str(values["cluster_id"]))
        except ValueError:
            raise _NoCluster from None
        cluster = await cluster_by_id(session, cluster_id)
    else:
        raise _NoCluster
    added = await clusters.add_members(session, cluster, members, planner)
    return Message(N_("Recommendations added to the cluster: %(count)s."), {"count": added})
