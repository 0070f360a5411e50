"""A signed-in browser: the workspace's session behind its cookie (DESIGN §9), and a sign-in
waiting for its second factor."""

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String
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
    # Whether the sign-in checked a second-factor code: under RECTRACK_REQUIRE_2FA, an admin's or
    # coordinator's session without one may only enrol one (app.auth.service.must_enrol).
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)
    # The synchronizer token every state-changing form of this session carries.
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_agent: Mapped[str | None] = mapped_column(String(300))
    client: Mapped[str | None] = mapped_column(String(64))


class WebPendingSignIn(Base):
    """A sign-in whose password was right, waiting for the account's second-factor code.

    It holds who is signing in, never the password. Its cookie's token is random (the row is
    keyed by the SHA-256), it is bound to the browser's pre-session (the cookie behind the
    sign-in form's CSRF token), lasts minutes, and is used up by the sign-in it completes.
    """

    __tablename__ = "web_pending_sign_in"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # The account's session_version when the password was checked: a password reset or a
    # removed second factor in between voids the pending sign-in.
    session_version: Mapped[int] = mapped_column(Integer)
    # SHA-256 of the pre-session cookie it was started from.
    presession: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
