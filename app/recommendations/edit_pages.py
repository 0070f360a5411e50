"""More of the recommendation page's forms: archive or restore it (PATCH `archived`, with its
version), and add it to a cluster (POST /clusters/{id}/recommendations) — the same services and
permissions as the API."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.clusters import service as clusters
from app.clusters.dependencies import cluster_by_id
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.models.recommendation import Recommendation
from app.recommendations import service
from app.recommendations.details import answer_detail_form
from app.recommendations.schemas import RecommendationUpdate
from app.web.forms import attempt, check_version, form_values
from app.web.i18n import N_, Message
from app.web.sessions import CsrfDep, page_requires

router = APIRouter(include_in_schema=False)
Editor = Annotated[Principal, page_requires(Permission.write_recommendations)]
Planner = Annotated[Principal, page_requires(Permission.plan)]
_STALE = Message(
    N_("Someone else changed this recommendation after you opened the page. Nothing was saved. "
       "The current values are shown below; make your change again if it is still needed.")
)  # fmt: skip

_ARCHIVED = N_("The recommendation is archived.")
_RESTORED = N_("The recommendation is restored.")


async def _recommendation(session: SessionDep, recommendation_id: uuid.UUID) -> Recommendation:
    rec = await service.get_recommendation(session, recommendation_id)
    if rec is None:
        raise NotFound(f"There is no recommendation {recommendation_id}.")
    return rec


@router.post("/recommendations/{recommendation_id:uuid}/archived")
async def set_archived(
    request: Request, session: SessionDep, context: CsrfDep, principal: Editor,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    """Archive (it leaves lists, reports and figures) or restore it; its history stays."""
    rec = await _recommendation(session, recommendation_id)
    sent = form_values(await request.form())
    archiving = sent.get("archived") == "true"

    async def save() -> None:
        check_version(sent.get("version"), rec.version)
        data = RecommendationUpdate.model_validate({"archived": archiving})
        await service.update_recommendation(session, rec, data, principal)

    done = (
        N_("The recommendation is archived.")
        if archiving
        else N_("The recommendation is restored.")
    )
    outcome = await attempt(save, stale=_STALE)
    return await answer_detail_form(
        request, session, context, rec.id, outcome, failed="archive", done=Message(done)
    )


@router.post("/recommendations/{recommendation_id:uuid}/clusters")
async def add_to_cluster(
    request: Request, session: SessionDep, context: CsrfDep, principal: Planner,
    recommendation_id: uuid.UUID,
) -> Response:  # fmt: skip
    rec = await _recommendation(session, recommendation_id)
    sent = form_values(await request.form())

    async def save() -> None:
        try:
            cluster = await cluster_by_id(session, uuid.UUID(str(sent.get("cluster_id", ""))))
        except (ValueError, NotFound) as exc:
            raise UnprocessableEntity.for_field("cluster_id", "unknown", "unknown") from exc
        await clusters.add_members(session, cluster, [rec.id], principal)

    outcome = await attempt(save)
    return await answer_detail_form(
        request, session, context, rec.id, outcome, failed="cluster", sent=sent,
        done=Message(N_("The recommendation is in the cluster.")),
    )  # fmt: skip
