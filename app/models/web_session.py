"""A signed-in browser: the workspace's session behind its cookie (DESIGN §9)."""

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class WebSession(Base):
    __tablename__ = "web_session"

    # SHA-256 of the cookie's random token: a stolen copy of this table signs no one in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The user's session_version at sign-in: a password change or a deactivation moves it, and
    # every session signed in before stops working.
    session_version: Mapped[int] = mapped_column(Integer)
    # The synchronizer token every state-changing form of this session carries.
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    client: Mapped[str | None] = mapped_column(String(64))
