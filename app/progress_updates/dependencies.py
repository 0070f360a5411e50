import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import CurrentPrincipal
from app.db import SessionDep
from app.errors import NotFound, UnprocessableEntity
from app.etag import if_matched
from app.models.institution import Institution
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation
from app.progress_updates.service import UpdateFilters


async def update_by_id(
    session: SessionDep, principal: CurrentPrincipal, update_id: uuid.UUID
) -> ProgressUpdate:
    """The update; to the public, one not yet validated does not exist."""
    update = await session.get(ProgressUpdate, update_id)
    if update is None or (principal is None and update.state is not UpdateState.validated):
        raise NotFound(f"There is no progress update {update_id}.")
    return update


ProgressUpdateDep = Annotated[ProgressUpdate, Depends(update_by_id)]
MatchedProgressUpdateDep = Annotated[ProgressUpdate, if_matched(update_by_id)]


async def update_filters(
    session: SessionDep,
    recommendation: uuid.UUID | None = None,
    institution: uuid.UUID | None = None,
    state: UpdateState | None = None,
) -> UpdateFilters:
    """The filters of GET /progress-updates and its export; an id that names nothing is a 422."""
    named: list[tuple[str, type[Institution | Recommendation], uuid.UUID | None]] = [
        ("recommendation", Recommendation, recommendation),
        ("institution", Institution, institution),
    ]
    for field, model, value in named:
        if value is not None and await session.get(model, value) is None:
            message = f"unknown {field}: {value}"
            raise UnprocessableEntity.for_field(f"query.{field}", message, "unknown")
    return UpdateFilters(recommendation, institution, state)


UpdateFiltersDep = Annotated[UpdateFilters, Depends(update_filters)]
