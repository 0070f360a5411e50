import uuid
from typing import Annotated

from fastapi import Depends

from app.auth.dependencies import CurrentPrincipal
from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.progress_update import ProgressUpdate, UpdateState


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
