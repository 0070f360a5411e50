"""The import worker: runs queued jobs one at a time, in the API process or on its own.

Several processes may each run one (`rectrack worker`, or the API's own when
RECTRACK_IMPORT_WORKER is on): claiming is safe (see service.claim_next).
"""

import asyncio
import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.imports.service import claim_next, release_job, run_job

logger = logging.getLogger("rectrack.imports")


class ImportWorker:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], idle_seconds: float = 2.0):
        self.sessionmaker = sessionmaker
        self.idle_seconds = idle_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run_pending(self) -> int:
        """Run every job waiting now; returns how many ran."""
        ran = 0
        while (job_id := await claim_next(self.sessionmaker)) is not None:
            try:
                await run_job(self.sessionmaker, job_id)
            except asyncio.CancelledError:
                # Stopping (SIGTERM): the job goes back to the queue at once, not after
                # another worker finds its heartbeat stale.
                await asyncio.shield(release_job(self.sessionmaker, job_id))
                raise
            ran += 1
        return ran

    async def run_forever(self) -> None:
        while True:
            try:
                await self.run_pending()
            except Exception:
                logger.exception("the import worker hit an error; carrying on")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.idle_seconds)
