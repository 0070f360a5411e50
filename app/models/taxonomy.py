"""UHRI's themes and affected-persons vocabularies."""

import uuid

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Theme(Base):
    __tablename__ = "theme"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The cleaned English label: how imports match and lists sort.
    label: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON)


class AffectedPerson(Base):
    __tablename__ = "affected_person"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[dict[str, str]] = mapped_column(JSON)
