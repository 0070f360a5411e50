import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, SecretStr, StrictBool, StringConstraints
from pydantic_core import PydanticCustomError

from app.auth.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_length_problem
from app.json_types import RequestBody
from app.models.user import Role, User

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]


def _policy_length(value: object) -> object:
    """The policy's sentence, not pydantic's "at least 12 items after validation"."""
    problem = password_length_problem(value) if isinstance(value, str) else None
    if problem:
        raise PydanticCustomError("weak_password", problem)
    return value


# The policy's length bounds are in the schema so that clients can check before sending.
NewPassword = Annotated[
    SecretStr,
    BeforeValidator(_policy_length),
    Field(json_schema_extra={"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH}),
]


class UserCreate(RequestBody):
    email: Email
    name: PersonName
    password: NewPassword
    role: Role
    institution_id: uuid.UUID | None = None


class UserUpdate(RequestBody):
    name: PersonName | None = None
    role: Role | None = None
    institution_id: uuid.UUID | None = None
    active: StrictBool | None = None


class PasswordChange(RequestBody):
    current_password: Password
    new_password: NewPassword
    revoke_api_tokens: StrictBool = Field(
        default=False,
        description="Also revoke every API token of yours (say, if the password may have leaked)",
    )


class UserRead(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    role: Role
    institution_id: uuid.UUID | None
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int

    @classmethod
    def build(cls, user: User) -> "UserRead":
        return cls.model_validate(user, from_attributes=True)
