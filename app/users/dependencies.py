import uuid
from typing import Annotated

from fastapi import Depends

from app.db import SessionDep
from app.errors import NotFound
from app.etag import if_matched
from app.models.user import User


async def user_by_id(session: SessionDep, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"There is no user {user_id}.")
    return user


UserDep = Annotated[User, Depends(user_by_id)]


MatchedUserDep = Annotated[User, if_matched(user_by_id)]
