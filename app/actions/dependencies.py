import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.action import Action


async def action_by_id(session: SessionDep, action_id: uuid.UUID) -> Action:
    action = await session.get(Action, action_id)
    if action is None:
        raise NotFound(f"There is no action {action_id}.")
    return action


ActionDep = Annotated[Action, Depends(action_by_id)]
MatchedActionDep = Annotated[Action, if_matched(action_by_id)]
