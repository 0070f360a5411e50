import uuid
from typing import Annotated

from fastapi import Depends, Header

from app.db import SessionDep
from app.errors import NotFound
from app.etag import check_if_match, etag_for
from app.models.institution import Institution


async def institution_by_id(session: SessionDep, institution_id: uuid.UUID) -> Institution:
    institution = await session.get(Institution, institution_id)
    if institution is None:
        raise NotFound(f"There is no institution {institution_id}.")
    return institution


InstitutionDep = Annotated[Institution, Depends(institution_by_id)]


async def institution_if_match(
    institution: InstitutionDep,
    if_match: Annotated[str | None, Header(description="The ETag last read.")] = None,
) -> Institution:
    check_if_match(if_match, etag_for(institution.version))
    return institution


MatchedInstitutionDep = Annotated[Institution, Depends(institution_if_match)]
