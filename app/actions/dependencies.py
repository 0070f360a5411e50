import uuid
from typing import Annotated

from fastapi import Depends, Query

from app.actions.service import ActionFilters
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.etag import if_matched
from app.json_types import IsoDate
from app.models.action import Action, ActionStatus
from app.models.cluster import Cluster
from app.models.institution import Institution
from app.models.recommendation import Recommendation


async def action_by_id(session: SessionDep, action_id: uuid.UUID) -> Action:
    action = await session.get(Action, action_id)
    if action is None:
        raise NotFound(f"There is no action {action_id}.")
    return action


ActionDep = Annotated[Action, Depends(action_by_id)]
MatchedActionDep = Annotated[Action, if_matched(action_by_id)]


async def action_filters(
    session: SessionDep,
    institution: uuid.UUID | None = None,
    status: Annotated[list[ActionStatus] | None, Query()] = None,
    due_before: IsoDate | None = None,
    due_after: IsoDate | None = None,
    recommendation: uuid.UUID | None = None,
    cluster: uuid.UUID | None = None,
    overdue: bool | None = None,
) -> ActionFilters:
    """The filters of GET /actions and its export; an id that names nothing is a 422."""
    named: list[tuple[str, type[Institution | Recommendation | Cluster], uuid.UUID | None]] = [
        ("institution", Institution, institution),
        ("recommendation", Recommendation, recommendation),
        ("cluster", Cluster, cluster),
    ]
    for field, model, value in named:
        if value is not None and await session.get(model, value) is None:
            raise UnprocessableEntity.for_field(
                f"query.{field}", f"unknown {field}: {value}", "unknown"
            )
    return ActionFilters(
        institution, tuple(status or ()), due_before, due_after, recommendation, cluster, overdue
    )


ActionFiltersDep = Annotated[ActionFilters, Depends(action_filters)]
