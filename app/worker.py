"""The background worker: import jobs, webhook deliveries and notification mails, in the API
process (by default) or on its own (`rectrack worker`). Several may run at once: each job, each
delivery, each mail and each digest is claimed in the database first. `stop()` (SIGTERM) lets
what is in flight finish, at most one delivery's or mail's timeout, gives back what it claimed
and has not started, and returns."""

import asyncio
import contextlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.attachments import storage
from app.config import Settings
from app.imports.worker import ImportWorker
from app.notifications.sending import MailWorker
from app.webhooks.delivery import DeliveryWorker
from app.webhooks.events import on_new_deliveries

logger = logging.getLogger("rectrack.worker")
SWEEP_EVERY_SECONDS = 3600


class Worker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        poll_seconds: float = 1.0,
    ) -> None:
        self.imports = ImportWorker(sessionmaker)
        self.deliveries = DeliveryWorker(sessionmaker, settings)
        self.mails = MailWorker(sessionmaker, settings)
        self.poll_seconds = poll_seconds
        self.settings = settings
        self._swept_at: float | None = None
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.deliveries.stopping = True
        self.mails.stopping = True
        self._stop.set()
        self._wake.set()

    async def _deliver_forever(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                await self.deliveries.run_due()
            except Exception:
                logger.exception("the webhook worker hit an error; carrying on")
            await self._sweep_now_and_then()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)

    async def _sweep_now_and_then(self) -> None:
        """Leftovers of crashed uploads in the evidence store, once an hour."""
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < SWEEP_EVERY_SECONDS:
            return
        self._swept_at = now
        try:
            swept = await asyncio.to_thread(storage.sweep_leftovers, self.settings)
        except OSError:
            logger.exception("sweeping the evidence store failed; carrying on")
            return
        if swept:
            logger.info("evidence store: %s leftovers of interrupted uploads swept", swept)

    async def _mail_forever(self) -> None:
        # A mail being sent when stop() is called is finished and recorded; nothing else is
        # held (each mail is claimed just before it is sent).
        while not self._stop.is_set():
            try:
                await self.mails.run_due()
            except Exception:
                logger.exception("the mail worker hit an error; carrying on")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=self.poll_seconds)

    async def run(self) -> None:
        """Run until stop() is called."""
        unregister = on_new_deliveries(self.wake)
        imports = asyncio.create_task(self.imports.run_forever())
        mails = None
        if self.mails.server is None:
            logger.info("RECTRACK_SMTP_URL is not set: no notification is mailed")
        else:
            mails = asyncio.create_task(self._mail_forever())
        try:
            await self._deliver_forever()
        finally:
            unregister()
            if mails is not None:
                await mails
            # An import stopped mid-way goes back to the queue and resumes after its last
            # committed batch (app/imports/worker.py).
            imports.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await imports
            await self.deliveries.close()
