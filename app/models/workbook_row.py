"""Rows of plan workbooks already applied, by the key each row carries, so that uploading the
same workbook again creates nothing new (DESIGN §10)."""

import datetime as dt
import uuid

from sqlalchemy import String
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
    applied_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
