"""What a person signs in with besides the password: the addresses an account signs in from,
admin-issued password resets, the TOTP second factor and its recovery codes."""

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class SignInAddress(Base):
    """A client address an account signed in from: failures from elsewhere never delay it."""

    __tablename__ = "sign_in_address"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_signed_in_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordReset(Base):
    """A one-time token an admin hands to a person to set a new password. Only its SHA-256 is
    kept; it works once, before `expires_at`."""

    __tablename__ = "password_reset"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class TotpCredential(Base):
    """A person's TOTP secret (RFC 6238), encrypted with a key derived from the signing key.
    It counts once confirmed with a first code; `last_step` is the time step of the last code
    accepted, so that a code is never accepted twice."""

    __tablename__ = "totp_credential"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """A single-use code that stands in for a TOTP code; only its SHA-256 is kept."""

    __tablename__ = "recovery_code"
    # Also the index that finds an account's codes.
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
