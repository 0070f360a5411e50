import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.institution import Institution


async def institution_by_id(session: SessionDep, institution_id: uuid.UUID) -> Institution:
    institution = await session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(f"There is no institution {institution_id}.")
    return institution


InstitutionDep = Annotated[Institution, Depends(institution_by_id)]


MatchedInstitutionDep = Annotated[Institution, if_matched(institution_by_id)]
