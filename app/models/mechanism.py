"""The UN human rights mechanisms that make recommendations."""

import enum

from sqlalchemy import JSON, Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class MechanismType(enum.StrEnum):
    upr = "upr"
    treaty_body = "treaty_body"
    special_procedure = "special_procedure"


class Mechanism(Base):
    __tablename__ = "mechanism"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    type: Mapped[MechanismType] = mapped_column(
        Enum(MechanismType, native_enum=False, length=24, create_constraint=True), index=True
    )
    name: Mapped[dict[str, str]] = mapped_column(JSON)
    # Other labels UHRI uses for the same mechanism ("Committee on the Rights of the Child").
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
