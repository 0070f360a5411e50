"""Institutions that implement recommendations: ministries, agencies, parliament, the NHRI…"""

import datetime as dt
import enum
import uuid

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class InstitutionKind(enum.StrEnum):
    ministry = "ministry"
    agency = "agency"
    parliament = "parliament"
    judiciary = "judiciary"
    nhri = "nhri"
    statistics_office = "statistics_office"
    civil_society = "civil_society"
    other = "other"


class Institution(Base):
    __tablename__ = "institution"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(300), index=True)
    acronym: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[InstitutionKind] = mapped_column(
        Enum(InstitutionKind, native_enum=False, length=24, create_constraint=True), index=True
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("institution.id"), index=True)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
