"""Rows of plan workbooks already applied, by the key each row carries, so that uploading the
same workbook again creates nothing new (DESIGN §10)."""

import datetime as dt
import uuid

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class WorkbookRow(Base):
    __tablename__ = "workbook_row"

    # The row key the workbook was downloaded with (a fresh UUID per row and download).
    key: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # "measurement" or "progress_update": what applying the row created. No foreign key: a
    # coordinator may delete a wrong measurement, and the row stays applied.
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column()
    # The progress update's version as this workbook row last left it: a row uploaded again
    # after the update was edited elsewhere is refused (stale), never written over the edit.
    # Null for rows applied before it was kept, and for measurements.
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
