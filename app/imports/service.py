"""Import jobs: stored uploads, run in batches that each commit their own progress.

A job first reads the whole file once, to count its records and to prove it can be read to the
end (a truncated or malformed file fails the job before anything is written). Then it writes
batches; each batch's records and the job's progress commit together, so that a job stopped at
any point resumes after its last committed batch and never leaves a partial record.
"""

import asyncio
import datetime as dt
import logging
import re
import shutil
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.audit.service import record_event
from app.auth.principal import Principal
from app.imports.bulk import merge_pending_search_entries, prepare_bulk_transaction
from app.imports.normalize import (
    ImportRecord,
    Lookups,
    PendingLabels,
    RecordProblem,
    guess_language,
    normalize,
)
from app.imports.readers import (
    FileFormatError,
    Format,
    Record,
    check_workbook,
    detect_format,
    read_records,
)
from app.imports.schemas import ImportJobRead
from app.imports.writer import write_batch
from app.models.base import utcnow
from app.models.import_job import ImportJob, JobStatus
from app.models.recommendation import Recommendation
from app.models.user import User
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.suggestions import index as suggestion_index
from app.webhooks.events import emit

logger = logging.getLogger("rectrack.imports")

BATCH_SIZE = 1000
MAX_PROBLEMS_KEPT = 200
# A batch that clashes with a concurrent import is written again, up to this many times.
BATCH_ATTEMPTS = 3
# PostgreSQL's COPY (app/imports/bulk.py) raises asyncpg's own error, not SQLAlchemy's.
UNIQUE_KEY_CLASHES = (IntegrityError, UniqueViolationError)
STALE_AFTER = dt.timedelta(minutes=2)
# A job is started at most this many times: once, and taken over twice after its worker died.
MAX_ATTEMPTS = 3
GAVE_UP = (
    "The import was started {attempts} times and each time the process running it stopped "
    "(out of memory, or killed) before it finished; it is not tried again. Records of its "
    "committed batches are kept. See docs/import.md on the memory an import needs."
)
COUNT_KEYS = ("created", "updated", "unchanged", "skipped", "invalid")
_LANG_IN_NAME = re.compile(r"[-_.](en|fr|es|ar|ru|zh)\.(json|xlsx|csv)$", re.IGNORECASE)

NEWEST_FIRST = KeysetOrder[ImportJob](
    name="imports", columns=[ImportJob.created_at, ImportJob.id], descending=True,
    key=lambda j: [j.created_at, j.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip

Progress = Callable[[ImportJob], Awaitable[None] | None]


def safe_filename(name: str | None) -> str:
    """A display name only: the last path part, without control characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    return "".join(c for c in base if c.isprintable())[:255] or "upload"


def store_upload(source: BinaryIO, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, length=1024 * 1024)


async def create_job(
    session: AsyncSession,
    *,
    stored_path: Path,
    filename: str,
    dry_run: bool,
    countries: list[str],
    lang: str | None,
    actor: Principal | None,
    actor_label: str | None = None,
    owns_file: bool = False,
) -> ImportJob:
    """Queue a job for a file already on disk. Raises FileFormatError for a file of no known
    format, or a workbook over the caps (a zip bomb), before anything is queued."""
    fmt = detect_format(stored_path)
    if fmt == "xlsx":
        check_workbook(stored_path)
    job = ImportJob(
        id=uuid.uuid4(),
        status=JobStatus.queued,
        filename=filename,
        stored_path=str(stored_path),
        owns_file=owns_file,
        format=fmt,
        lang=lang or _lang_from_name(filename),
        dry_run=dry_run,
        countries=sorted(set(countries)),
        processed=0,
        resume_index=0,
        counts=dict.fromkeys(COUNT_KEYS, 0),
        errors=[],
        created_by_id=actor.user.id if actor else None,
        created_by_label=None if actor else actor_label,
        created_at=utcnow(),
    )
    session.add(job)
    await session.flush()
    return job


def _lang_from_name(filename: str) -> str | None:
    match = _LANG_IN_NAME.search(filename)
    return match[1].lower() if match else None


_one_more = ImportJob.attempts + 1


async def claim_next(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID | None:
    """Take the oldest queued job, or one whose worker stopped answering. Safe with several
    workers: PostgreSQL skips rows another worker has locked, and the conditional UPDATE lets
    only one worker win a job on any backend. A job whose worker died MAX_ATTEMPTS times fails
    instead of being taken over again."""
    await _give_up_on_dying_jobs(sessionmaker)
    now = utcnow()
    claimable = or_(
        ImportJob.status == JobStatus.queued,
        and_(_stale(now), ImportJob.attempts < MAX_ATTEMPTS),
    )
    async with sessionmaker() as session, session.begin():
        candidates = select(ImportJob.id).where(claimable).order_by(ImportJob.created_at).limit(5)
        for job_id in (await session.scalars(candidates.with_for_update(skip_locked=True))).all():
            won = await session.execute(
                update(ImportJob)
                .where(ImportJob.id == job_id, claimable)
                .values(status=JobStatus.running, heartbeat_at=now, attempts=_one_more)
            )
            if won.rowcount == 1:  # type: ignore[attr-defined]
                return job_id
    return None


def _stale(now: dt.datetime) -> ColumnElement[bool]:
    return and_(ImportJob.status == JobStatus.running, ImportJob.heartbeat_at < now - STALE_AFTER)


async def _give_up_on_dying_jobs(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    dying = _stale(utcnow()) & (ImportJob.attempts >= MAX_ATTEMPTS)
    async with sessionmaker() as session:
        found = (await session.execute(select(ImportJob.id, ImportJob.attempts).where(dying))).all()
    for job_id, attempts in found:
        logger.error("import %s: its worker died %d times; failing it", job_id, attempts)
        _discard_upload(
            await _finish(sessionmaker, job_id, JobStatus.failed, GAVE_UP.format(attempts=attempts))
        )


async def claim_job(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> bool:
    """Claim one given job (the CLI runs the job it has just queued)."""
    async with sessionmaker() as session, session.begin():
        won = await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == JobStatus.queued)
            .values(status=JobStatus.running, heartbeat_at=utcnow(), attempts=_one_more)
        )
        return bool(won.rowcount)  # type: ignore[attr-defined]


async def release_job(sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> None:
    """Put a job its worker is stopping back in the queue; it resumes after its last batch.
    The attempt is not counted: the worker stopped cleanly, it did not die."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.status == JobStatus.running)
            .values(status=JobStatus.queued, heartbeat_at=None, attempts=ImportJob.attempts - 1)
        )


@dataclass
class _Survey:
    total: int
    lang: str


def _survey(path: Path, fmt: Format, lang: str | None) -> _Survey:
    """Read the whole file once: count its records, and guess its language if not known."""
    total = 0
    samples: list[str] = []
    for _, raw in read_records(path, fmt):
        total += 1
        if lang is None and len(samples) < 50 and isinstance(raw.get("Text"), str):
            samples.append(raw["Text"])
    return _Survey(total, lang or (guess_language(samples) if samples else "en"))


@dataclass
class _Batch:
    records: list[ImportRecord]
    problems: list[dict[str, Any]]
    counts: Counter[str]
    last_index: int | None
    pending: PendingLabels


def _next_batch(
    records: Iterator[tuple[int, Record]], lang: str, lookups: Lookups, countries: set[str]
) -> _Batch:
    """Read and normalize up to BATCH_SIZE records. Runs in a thread, beside the database
    writing the batch before: it is CPU work, and the labels it meets first go with its batch."""
    good: list[ImportRecord] = []
    problems: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    last: int | None = None
    for index, raw in records:
        last = index
        try:
            record = normalize(index, raw, lang, lookups)
        except RecordProblem as problem:
            counts["invalid"] += 1
            problems.append({"index": index, "field": problem.field, "message": problem.message,
                             "severity": "error"})  # fmt: skip
        else:
            problems += [{"index": index, "field": f, "message": m, "severity": "warning"}
                         for f, m in record.warnings]  # fmt: skip
            if countries and not countries.intersection(record.facts.countries):
                counts["skipped"] += 1
            else:
                good.append(record)
        if len(good) + sum(counts.values()) >= BATCH_SIZE:
            break
    return _Batch(good, problems, counts, last, lookups.take_pending())


def _locate(problem: dict[str, Any], fmt: str | None) -> dict[str, Any]:
    """Problems name a record by its index in a JSON array, or by its row in a sheet or CSV."""
    if fmt == "json":
        return problem
    index = problem.pop("index")
    return {"row": index + 2, **problem}  # row 1 holds the column names


def _actor_label(job: ImportJob) -> str:
    """The audit trail's name for a job's actor when it has no account: the command line."""
    return job.created_by_label or "cli"


async def _actor(session: AsyncSession, job: ImportJob) -> Principal | None:
    if job.created_by_id is None:
        return None
    user = await session.get(User, job.created_by_id)
    return Principal(user=user, role=user.role, api_token_id=None, client=None) if user else None


async def run_job(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    progress: Progress | None = None,
) -> ImportJob:
    """Run (or resume) a claimed job to its end; returns the job as it finished."""
    finished = await _run_to_end(sessionmaker, job_id, progress)
    if not finished.dry_run:
        await _merge_search_entries(sessionmaker, job_id)
    return finished


async def _merge_search_entries(
    sessionmaker: async_sessionmaker[AsyncSession], job_id: uuid.UUID
) -> None:
    """Once the job has finished (so a slow merge neither fails it nor lets another worker take
    it over): merge the search entries its batches left pending. Best effort; autovacuum
    merges them too."""
    try:
        async with sessionmaker() as session, session.begin():
            await merge_pending_search_entries(session)
    except SQLAlchemyError:
        logger.warning(
            "import %s: search entries left pending for autovacuum", job_id, exc_info=True
        )


async def _run_to_end(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    progress: Progress | None,
) -> ImportJob:
    async with sessionmaker() as session:
        job = await session.get_one(ImportJob, job_id)
    path = Path(job.stored_path)
    try:
        fmt: Format = job.format or detect_format(path)  # type: ignore[assignment]
        if job.total is None:
            survey = await asyncio.to_thread(_survey, path, fmt, job.lang)
            async with sessionmaker() as session, session.begin():
                stored = await session.get_one(ImportJob, job_id)
                stored.total, stored.lang, stored.format = survey.total, survey.lang, fmt
                stored.started_at = stored.started_at or utcnow()
                stored.heartbeat_at = utcnow()
            job.total, job.lang = survey.total, survey.lang
        await _run_batches(sessionmaker, job, path, fmt, progress)
    except FileFormatError as exc:
        finished = await _finish(sessionmaker, job_id, JobStatus.failed, str(exc))
    except Exception:
        logger.exception("import job %s failed", job_id)
        finished = await _finish(
            sessionmaker, job_id, JobStatus.failed,
            "The import stopped on an unexpected error; upload the file again to retry.",
        )  # fmt: skip
    else:
        finished = await _finish(sessionmaker, job_id, JobStatus.succeeded, None)
    _discard_upload(finished)
    return finished


def _discard_upload(job: ImportJob) -> None:
    """An upload is of no more use once its job has finished, failed or not: nothing runs a
    finished job again (the CLI's files, read in place, are not the job's to delete)."""
    if job.owns_file:
        Path(job.stored_path).unlink(missing_ok=True)


async def _commit_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: ImportJob,
    batch: _Batch,
    lookups: Lookups,
    fmt: Format,
    label: str,
) -> list[str]:
    """Write one batch's records and the job's progress in one transaction; returns the
    uhri_ids it created or changed."""
    assert batch.last_index is not None
    good, problems, counts = batch.records, batch.problems, batch.counts
    async with sessionmaker() as session, session.begin():
        await prepare_bulk_transaction(session)
        actor = await _actor(session, job)
        result = await write_batch(
            session, good, lookups, batch.pending,
            dry_run=job.dry_run, actor=actor, job_label=label, actor_label=_actor_label(job),
        )  # fmt: skip
        stored = await session.get_one(ImportJob, job.id, with_for_update=True)
        merged = Counter(stored.counts) + counts + result.counts
        stored.counts = {key: merged.get(key, 0) for key in COUNT_KEYS}
        room = MAX_PROBLEMS_KEPT - len(stored.errors)
        problems = sorted([*problems, *result.warnings], key=lambda p: p["index"])
        if room > 0 and problems:
            stored.errors = [*stored.errors, *(_locate(p, fmt) for p in problems[:room])]
        stored.processed = stored.processed + sum(counts.values()) + len(good)
        stored.resume_index = batch.last_index + 1
        stored.heartbeat_at = utcnow()
        job.processed, job.resume_index = stored.processed, stored.resume_index
        job.counts = stored.counts
    return result.written


async def _run_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    job: ImportJob,
    path: Path,
    fmt: Format,
    progress: Progress | None,
) -> None:
    async with sessionmaker() as session:
        lookups = await Lookups.load(session)
    records = (item for item in read_records(path, fmt) if item[0] >= job.resume_index)
    countries = set(job.countries)
    lang = job.lang or "en"
    label = f"import {job.id} ({job.filename})"

    def read_ahead() -> asyncio.Future[_Batch]:
        return asyncio.ensure_future(
            asyncio.to_thread(_next_batch, records, lang, lookups, countries)
        )

    upcoming = read_ahead()
    while True:
        batch = await upcoming
        if batch.last_index is None:
            return
        # Normalize the next batch while this one is written.
        upcoming = read_ahead()
        try:
            for attempt in range(1, BATCH_ATTEMPTS + 1):
                try:
                    written = await _commit_batch(sessionmaker, job, batch, lookups, fmt, label)
                    break
                except UNIQUE_KEY_CLASHES:
                    # Another import committed some of these records first (a unique key
                    # clash). The batch rolled back whole; written again, it finds them.
                    if attempt == BATCH_ATTEMPTS:
                        raise
                    logger.info("import %s: batch clashed with another writer; retrying", job.id)
        except BaseException:
            # Let the reader thread finish its batch before the file and lookups go away.
            await asyncio.wait([upcoming])
            raise
        await add_to_suggestion_index(sessionmaker, written)
        if progress is not None:
            outcome = progress(job)
            if outcome is not None:
                await outcome


async def add_to_suggestion_index(
    sessionmaker: async_sessionmaker[AsyncSession], uhri_ids: list[str]
) -> None:
    """Keep the SDG suggestion index current with a committed batch, in its own transaction:
    an index that fails to update must not fail the import (`suggest rebuild` repairs it)."""
    if not uhri_ids:
        return
    try:
        async with sessionmaker() as session, session.begin():
            ids = await session.scalars(
                select(Recommendation.id).where(Recommendation.uhri_id.in_(uhri_ids))
            )
            await suggestion_index.add(session, ids.all())
    except Exception:
        logger.exception("import: the SDG suggestion index was not updated; run suggest rebuild")


async def _finish(
    sessionmaker: async_sessionmaker[AsyncSession],
    job_id: uuid.UUID,
    status: JobStatus,
    message: str | None,
) -> ImportJob:
    async with sessionmaker() as session, session.begin():
        job = await session.get_one(ImportJob, job_id, with_for_update=True)
        job.status, job.message, job.finished_at = status, message, utcnow()
        actor = await _actor(session, job)
        changes: dict[str, dict[str, Any]] = {
            "counts": {"before": None, "after": job.counts},
            "file": {"before": None, "after": job.filename},
            "dry_run": {"before": None, "after": job.dry_run},
        }
        action = "import" if status is JobStatus.succeeded else "import_failed"
        await record_event(
            session, actor, action, "import_job", str(job.id), changes,
            actor_label=_actor_label(job),
        )  # fmt: skip
        # One event with the counts, never one per record.
        await emit(session, "import.finished", ImportJobRead.build(job))
    return job


async def list_jobs(
    session: AsyncSession, params: PageParams
) -> tuple[list[ImportJob], str | None, int | None]:
    return await paginate(session, select(ImportJob), NEWEST_FIRST, params)
