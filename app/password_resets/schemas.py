import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, Field, SecretStr, StrictBool

from app.json_types import RequestBody
from app.users.schemas import NewPassword


class PasswordResetIssued(BaseModel):
    """Answered once, to the admin who asked: `token` is not stored and cannot be shown again."""

    user_id: uuid.UUID
    token: str = Field(description="Hand it to the person over a channel you trust; it works once")
    expires_at: dt.datetime


class PasswordResetRedeem(RequestBody):
    token: Annotated[SecretStr, Field(min_length=1, max_length=200)]
    new_password: NewPassword
    revoke_api_tokens: StrictBool = Field(
        default=False, description="Also revoke every API token of the account"
    )
