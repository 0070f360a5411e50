import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from app.models.user import Role, User

Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
    ),
]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Password = Annotated[SecretStr, Field(min_length=1, max_length=1024)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: PersonName
    password: Password
    role: Role
    institution_id: uuid.UUID | None = None


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PersonName | None = None
    role: Role | None = None
    institution_id: uuid.UUID | None = None
    active: bool | None = None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: Password
    new_password: Password


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
