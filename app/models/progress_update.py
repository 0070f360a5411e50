"""What an institution reports about a recommendation, checked by the NMRF before it counts."""

import datetime as dt
import enum
import uuid

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class Assessment(enum.StrEnum):
    not_started = "not_started"
    in_progress = "in_progress"
    partially_implemented = "partially_implemented"
    implemented = "implemented"


class UpdateState(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    validated = "validated"
    rejected = "rejected"


class ProgressUpdate(Base):
    __tablename__ = "progress_update"
    __table_args__ = (
        Index(
            "ix_progress_update_recommendation_state", "recommendation_id", "state", "validated_at"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    assessment: Mapped[Assessment] = mapped_column(
        Enum(Assessment, native_enum=False, length=24, create_constraint=True)
    )
    narrative: Mapped[str | None] = mapped_column(Text)
    # Links to the evidence: laws, reports, statistics.
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[UpdateState] = mapped_column(
        Enum(UpdateState, native_enum=False, length=12, create_constraint=True), index=True
    )
    author_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    institution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("institution.id"), index=True
    )
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    review_comment: Mapped[str | None] = mapped_column(Text)
    validated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
