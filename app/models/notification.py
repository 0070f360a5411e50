"""Notifications by email (DESIGN §11, docs/notifications.md): each person's settings, the
events waiting to be mailed to them, the reminders already given for an action, and the claim
on each digest period."""

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Digest(enum.StrEnum):
    daily = "daily"
    weekly = "weekly"
    off = "off"


class NotificationSettings(Base):
    """A person's choices; no row means the defaults (email on, daily digest, their language)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[Digest] = mapped_column(
        Enum(Digest, native_enum=False, length=8, create_constraint=True), default=Digest.daily
    )
    # Null: the account's language (User.language), else English.
    language: Mapped[str | None] = mapped_column(String(2))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class NotificationStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    # Not mailed: the person had email off when its turn came, or every attempt failed.
    dropped = "dropped"
    failed = "failed"


class Notification(Base):
    """One event for one person, written in the transaction of the change it tells of. Mailed
    at once (digest off: the row is its own claim) or gathered into a digest (digest_id)."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_status_user_id", "status", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    # What the mail says: titles, dates and the ids its links need.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[NotificationStatus] = mapped_column(
        Enum(NotificationStatus, native_enum=False, length=12, create_constraint=True),
        default=NotificationStatus.pending,
    )
    # The digest it went into (claimed with it); null while waiting or when mailed alone.
    digest_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("notification_digest.id", ondelete="SET NULL"), index=True
    )
    # Mailed alone: the worker sending it now, and the retries of a failed send.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ActionReminder(Base):
    """ "Due soon" or "overdue" given for an action: each once (the key is unique)."""

    __tablename__ = "action_reminder"
    __table_args__ = (UniqueConstraint("action_id", "kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    action_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # due_soon | overdue
    # The due date it was given for.
    due_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class NotificationDigest(Base):
    """The claim on one person's digest for one period ("daily:2026-11-29",
    "weekly:2026-W48"): inserted before the mail is sent, so it is sent once."""

    __tablename__ = "notification_digest"
    __table_args__ = (UniqueConstraint("user_id", "period"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(20))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
