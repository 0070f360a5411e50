"""An import of a UHRI export: a job that runs in batches and survives restarts."""

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (Index("ix_import_job_status_created_at", "status", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[JobStatus] = mapped_column(
        Enum(JobStatus, native_enum=False, length=16, create_constraint=True)
    )
    # The name the file was uploaded with, for people; it is never used as a path.
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(1024))
    # True for uploads, which the job deletes when done; False for files the CLI reads in place.
    owns_file: Mapped[bool] = mapped_column(Boolean, default=False)
    format: Mapped[str | None] = mapped_column(String(8))
    lang: Mapped[str | None] = mapped_column(String(2))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    total: Mapped[int | None] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    # Index of the next record to read: a restarted job resumes here.
    resume_index: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The first problems met: {"index", "field", "message", "severity"}.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    message: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"))
    # Who queued a job made without an account (the command line: "cli (OS user)"): its audit
    # entries name it, also when a worker resumes the job.
    created_by_label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Written by the running worker after each batch; a stale one means the worker died.
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # How many times a worker has started (or taken over) the job: it fails once a job whose
    # worker keeps dying (out of memory?) reaches app.imports.service.MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
