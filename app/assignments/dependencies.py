import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.assignment import Assignment


async def assignment_by_id(session: SessionDep, assignment_id: uuid.UUID) -> Assignment:
    assignment = await session.get(Assignment, assignment_id)
    if assignment is None:
        raise NotFound(f"There is no assignment {assignment_id}.")
    return assignment


AssignmentDep = Annotated[Assignment, Depends(assignment_by_id)]
MatchedAssignmentDep = Annotated[Assignment, if_matched(assignment_by_id)]
