import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel

from app.models.import_job import ImportJob, JobStatus


class ImportCounts(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    invalid: int = 0


class ImportJobRead(BaseModel):
    id: uuid.UUID
    status: JobStatus
    filename: str
    format: str | None
    lang: str | None
    dry_run: bool
    countries: list[str]
    total: int | None
    processed: int
    counts: ImportCounts
    # The first problems met: {"index" (JSON) or "row" (Excel, CSV), "field", "message",
    # "severity": "error" (the record was not imported) or "warning" (a label was left out)}.
    errors: list[dict[str, Any]]
    message: str | None
    created_by_id: uuid.UUID | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None

    @classmethod
    def build(cls, job: ImportJob) -> "ImportJobRead":
        return cls(
            id=job.id,
            status=job.status,
            filename=job.filename,
            format=job.format,
            lang=job.lang,
            dry_run=job.dry_run,
            countries=job.countries,
            total=job.total,
            processed=job.processed,
            counts=ImportCounts(**job.counts),
            errors=job.errors,
            message=job.message,
            created_by_id=job.created_by_id,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
