"""Queueing an uploaded file: the one path for POST /api/v1/imports and the /imports page."""

import asyncio
import uuid
from pathlib import Path

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from app.auth.principal import Principal
from app.errors import UnprocessableEntity
from app.imports import service
from app.imports.readers import FileFormatError
from app.models.country import Country
from app.models.import_job import ImportJob


async def known_countries(session: AsyncSession, sent: list[str] | None) -> list[str]:
    """The ISO3 codes sent, tidied; refuses (422 on `body.country`) any the seeds do not know."""
    countries = sorted({c.strip().upper() for c in sent or [] if c.strip()})
    if countries:
        found = await session.scalars(select(Country.iso3).where(Country.iso3.in_(countries)))
        known = set(found.all())
        unknown = [c for c in countries if c not in known]
        if unknown:
            raise UnprocessableEntity.for_field(
                "body.country", f"unknown country: {', '.join(unknown)}"
            )
    return countries


async def queue_upload(
    session: AsyncSession,
    request: Request,
    file: UploadFile,
    *,
    dry_run: bool,
    countries: list[str] | None,
    lang: str | None,
    actor: Principal,
) -> ImportJob:
    """Store the upload and queue its job; raises UnprocessableEntity (`body.country`,
    `body.file` with code "format") before anything is queued."""
    chosen = await known_countries(session, countries)
    target = Path(request.app.state.settings.import_dir) / f"{uuid.uuid4()}.upload"
    await asyncio.to_thread(service.store_upload, file.file, target)
    try:
        job = await service.create_job(
            session,
            stored_path=target,
            filename=service.safe_filename(file.filename),
            dry_run=dry_run,
            countries=chosen,
            lang=lang,
            actor=actor,
            owns_file=True,
        )
    except FileFormatError as exc:
        target.unlink(missing_ok=True)
        raise UnprocessableEntity.for_field("body.file", str(exc), "format") from exc
    except BaseException:
        target.unlink(missing_ok=True)  # no job will ever read it
        raise
    worker = getattr(request.app.state, "import_worker", None)
    if worker is not None:
        # After this request commits the job, the worker picks it up without waiting to poll.
        asyncio.get_running_loop().call_later(0.05, worker.wake)
    return job
