import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, StringConstraints

from app.json_types import IsoDateTime, RequestBody
from app.models.user import ApiToken, TokenScope

TokenName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ApiTokenCreate(RequestBody):
    name: TokenName
    scope: TokenScope = TokenScope.read
    expires_at: IsoDateTime | None = None


class ApiTokenRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    scope: TokenScope
    # The secret's first characters, to tell tokens apart; never the secret.
    prefix: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def build(cls, token: ApiToken) -> "ApiTokenRead":
        return cls(
            id=token.id,
            user_id=token.user_id,
            name=token.name,
            scope=token.scope,
            prefix=token.lookup_prefix,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
            created_at=token.created_at,
        )


class ApiTokenCreated(ApiTokenRead):
    """Answered once, at creation: `token` is the secret, and it is not stored."""

    token: str
