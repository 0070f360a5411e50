import uuid
from typing import Annotated

from fastapi import Depends, Header

from app.db import SessionDep
from app.errors import NotFound
from app.etag import check_if_match, etag_for
from app.models.user import User


async def user_by_id(session: SessionDep, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


UserDep = Annotated[User, Depends(user_by_id)]


async def user_if_match(
    user: UserDep,
    if_match: Annotated[str | None, Header(description="The ETag last read.")] = None,
) -> User:
    check_if_match(if_match, etag_for(user.version))
    return user


MatchedUserDep = Annotated[User, Depends(user_if_match)]
