"""An evidence file attached to a progress update; its bytes live on disk under its SHA-256."""

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Attachment(Base):
    __tablename__ = "attachment"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    progress_update_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("progress_update.id", ondelete="CASCADE"), index=True
    )
    # The name it was uploaded with, for people; never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    # Decided from the content (app/attachments/detect.py), never from the name.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # Hex SHA-256 of the content: the file's name in the store, shared by identical uploads.
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
