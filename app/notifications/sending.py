"""The mail worker: reminders of due and overdue actions, immediate mails and digests, each
claimed in the database before it is sent (docs/notifications.md).

- An immediate mail (digest off) is its notification row, claimed by one UPDATE … WHERE it is
  unclaimed (or its claim lapsed after RECTRACK_MAIL_LEASE_SECONDS: the worker died).
- A digest is a row of notification_digest, unique on (user, period), inserted with the
  notifications it gathers in one transaction: a second worker's insert for the same period
  does nothing. The row is then claimed like an immediate mail before it is sent.
- "Due soon" and "overdue" are rows of action_reminder, unique on (action, kind), inserted in
  the transaction that records the focal points' notifications.

A failed send is tried again after 1 minute, then 2, 4 … (at most a day), and given up after
MAX_ATTEMPTS; each failure is logged. Only a mail in flight when a worker is killed can be sent
twice (sent, not yet recorded); it keeps its Message-ID, so mail clients show it once.
"""

import datetime as dt
import logging
import os
import socket
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.i18n import DEFAULT_LANGUAGE
from app.models.action import CLOSED_ACTION_STATUSES, Action
from app.models.base import utcnow
from app.models.notification import (
    ActionReminder,
    Digest,
    Notification,
    NotificationDigest,
    NotificationSettings,
    NotificationStatus,
)
from app.models.user import User
from app.notifications import mail
from app.notifications.events import add, focal_points
from app.notifications.smtp import smtp_server
from app.retries import backoff
from app.web.i18n import as_language

logger = logging.getLogger("rectrack.notifications")

DUE_SOON_DAYS = 14
# 1 + 2 + 4 … minutes: the tenth attempt comes about 8.5 hours after the first.
MAX_ATTEMPTS = 10
SCAN_EVERY = dt.timedelta(minutes=1)
# Mailed (or dropped, or given up) notifications and finished digests are kept this long, for
# an operator's questions; then trimmed, at most once an hour per worker.
KEPT = dt.timedelta(days=30)
PRUNE_EVERY = dt.timedelta(hours=1)
BATCH = 100


def period(digest: Digest, now: dt.datetime, zone: ZoneInfo) -> tuple[str, dt.datetime]:
    """The last whole period before `now` in the NMRF's time zone: its key, and its end (what
    was recorded before it goes into its digest)."""
    today = now.astimezone(zone).date()
    if digest is Digest.daily:
        start, key = today, f"daily:{today - dt.timedelta(days=1)}"
    else:
        start = today - dt.timedelta(days=today.weekday())
        year, week, _ = (start - dt.timedelta(days=7)).isocalendar()
        key = f"weekly:{year}-W{week:02d}"
    return key, dt.datetime.combine(start, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class MailWorker:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        worker_id: str | None = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.server = (
            smtp_server(settings.smtp_url.get_secret_value()) if settings.smtp_url else None
        )
        self.lease = dt.timedelta(seconds=settings.mail_lease_seconds)
        self.zone = ZoneInfo(settings.timezone)
        self.stopping = False
        self._scanned_at: dt.datetime | None = None
        self._pruned_at: dt.datetime | None = None

    def _free(self, model: type[Notification] | type[NotificationDigest]) -> Any:
        return or_(model.claimed_by.is_(None), model.claimed_at < utcnow() - self.lease)

    async def run_due(self, now: dt.datetime | None = None) -> int:
        """Do what is due at `now` (default: now); returns how many mails were sent."""
        if self.server is None:
            return 0
        now = now or utcnow()
        if self._scanned_at is None or not now - SCAN_EVERY < self._scanned_at <= now:
            await self.scan_actions(now)
            self._scanned_at = now
        await self._drop_unwanted()
        await self._prune_now_and_then()
        # What the scan just recorded is due too (its rows carry the clock's time).
        due = max(now, utcnow())
        sent = await self._send_immediate(due)
        await self._open_digests(now)
        return sent + await self._send_digests(max(due, utcnow()))

    # Reminders ------------------------------------------------------------------------------

    async def scan_actions(self, now: dt.datetime) -> int:
        """Record "due soon" (within 14 days) and "overdue" once per open action, for its
        institution's focal points; "today" is the date in RECTRACK_TIMEZONE."""
        today = now.astimezone(self.zone).date()
        soon = today + dt.timedelta(days=DUE_SOON_DAYS)
        given = 0
        for kind, when in (
            ("overdue", Action.due_date < today),
            ("due_soon", and_(Action.due_date >= today, Action.due_date <= soon)),
        ):
            while not self.stopping:
                found = await self._remind(kind, when)
                given += found
                if found < BATCH:
                    break
        return given

    async def _remind(self, kind: str, when: Any) -> int:
        reminded = exists().where(
            ActionReminder.action_id == Action.id, ActionReminder.kind == kind
        )
        async with self.sessionmaker() as session, session.begin():
            rows = (
                await session.execute(
                    select(Action.id, Action.title, Action.due_date, Action.institution_id)
                    .where(
                        when,
                        Action.status.not_in(CLOSED_ACTION_STATUSES),
                        Action.institution_id.is_not(None),
                        ~reminded,
                    )
                    .order_by(Action.due_date, Action.id)
                    .limit(BATCH)
                )
            ).all()
            if not rows:
                return 0
            now = utcnow()
            # Another worker may have given some of them meanwhile: only the rows this insert
            # wrote are notified.
            won = set(
                (
                    await session.scalars(
                        _insert(session, ActionReminder)
                        .values(
                            [
                                {
                                    "id": uuid.uuid4(),
                                    "action_id": row.id,
                                    "kind": kind,
                                    "due_date": row.due_date,
                                    "created_at": now,
                                }
                                for row in rows
                            ]
                        )
                        .on_conflict_do_nothing(index_elements=["action_id", "kind"])
                        .returning(ActionReminder.action_id)
                    )
                ).all()
            )
            for row in rows:
                if row.id in won:
                    data = {
                        "action_id": str(row.id),
                        "title": row.title,
                        "due_date": row.due_date.isoformat(),
                    }
                    recipients = await focal_points(session, row.institution_id)
                    await add(session, f"action.{kind}", recipients, data)
            return len(rows)

    async def _prune_now_and_then(self) -> None:
        """Trim what was finished more than KEPT ago (idempotent: several workers may)."""
        now = utcnow()
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        before = now - KEPT
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                delete(Notification).where(
                    Notification.status != NotificationStatus.pending,
                    Notification.created_at < before,
                )
            )
            gathering = exists().where(Notification.digest_id == NotificationDigest.id)
            await session.execute(
                delete(NotificationDigest).where(
                    or_(NotificationDigest.sent_at.is_not(None), NotificationDigest.failed),
                    NotificationDigest.created_at < before,
                    ~gathering,
                )
            )

    # Immediate mails --------------------------------------------------------------------------

    async def _drop_unwanted(self) -> None:
        """Waiting notifications of people who turned email off, or whose account was closed."""
        silent = select(NotificationSettings.user_id).where(NotificationSettings.email.is_(False))
        closed = select(User.id).where(User.active.is_(False))
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Notification)
                .where(
                    Notification.status == NotificationStatus.pending,
                    Notification.digest_id.is_(None),
                    Notification.claimed_by.is_(None),
                    or_(Notification.user_id.in_(silent), Notification.user_id.in_(closed)),
                )
                .values(status=NotificationStatus.dropped)
                .execution_options(synchronize_session=False)
            )

    async def _send_immediate(self, now: dt.datetime) -> int:
        at_once = select(NotificationSettings.user_id).where(
            NotificationSettings.digest == Digest.off, NotificationSettings.email.is_(True)
        )
        sent = 0
        while not self.stopping:
            async with self.sessionmaker() as session:
                ids = (
                    await session.scalars(
                        select(Notification.id)
                        .where(
                            Notification.status == NotificationStatus.pending,
                            Notification.digest_id.is_(None),
                            Notification.next_attempt_at <= now,
                            Notification.user_id.in_(at_once),
                            self._free(Notification),
                        )
                        .order_by(Notification.created_at)
                        .limit(BATCH)
                    )
                ).all()
            if not ids:
                break
            for notification_id in ids:
                if self.stopping:
                    break
                if await self._claim(Notification, notification_id):
                    sent += await self._send_one(notification_id)
        return sent

    async def _claim(
        self, model: type[Notification] | type[NotificationDigest], row_id: uuid.UUID
    ) -> bool:
        """Take the row for this worker, unless another holds it: one UPDATE, whose WHERE
        PostgreSQL checks again after waiting for a concurrent claim (SQLite writes alone)."""
        pending = (
            model.status == NotificationStatus.pending
            if model is Notification
            else and_(NotificationDigest.sent_at.is_(None), NotificationDigest.failed.is_(False))
        )
        async with self.sessionmaker() as session, session.begin():
            claimed = await session.execute(
                update(model)
                .where(model.id == row_id, pending, self._free(model))
                .values(claimed_by=self.worker_id, claimed_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]

    async def _recipient(self, session: AsyncSession, user_id: uuid.UUID) -> mail.Recipient:
        user = await session.get_one(User, user_id)
        chosen = await session.get(NotificationSettings, user_id)
        language = (
            as_language(chosen.language if chosen else None)
            or as_language(user.language)
            or DEFAULT_LANGUAGE
        )
        return mail.Recipient(email=user.email, name=user.name, language=language)

    async def _deliver(
        self,
        recipient: mail.Recipient,
        notifications: list[tuple[str, dict[str, Any]]],
        *,
        digest: bool,
        message_id: uuid.UUID,
    ) -> str | None:
        """Send one mail; the error, or None once the server accepted it."""
        assert self.server is not None
        try:
            message = mail.compose(
                recipient,
                notifications,
                digest=digest,
                message_id=message_id,
                mail_from=self.settings.mail_from,
                public_url=self.settings.public_url,
            )
            await mail.send(self.server, message)
        except Exception as exc:  # every failure is retried: a refusal, a timeout, a bug
            return f"{type(exc).__name__}: {exc}"[:1000]
        return None

    async def _send_one(self, notification_id: uuid.UUID) -> int:
        async with self.sessionmaker() as session:
            notification = await session.get_one(Notification, notification_id)
            recipient = await self._recipient(session, notification.user_id)
            content = [(notification.type, notification.data)]
            attempts = notification.attempts + 1
        error = await self._deliver(recipient, content, digest=False, message_id=notification_id)
        now = utcnow()
        values: dict[str, Any] = {"claimed_by": None, "claimed_at": None, "attempts": attempts}
        if error is None:
            values |= {"status": NotificationStatus.sent, "sent_at": now, "last_error": None}
        else:
            values |= self._failure(f"mail {notification_id}", attempts, error, now)
            if values.pop("gave_up"):
                values["status"] = NotificationStatus.failed
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(Notification)
                .where(Notification.id == notification_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
        return int(error is None)

    def _failure(self, what: str, attempts: int, error: str, now: dt.datetime) -> dict[str, Any]:
        if attempts >= MAX_ATTEMPTS:
            logger.error("%s: not sent after %d attempts; given up: %s", what, attempts, error)
            return {"last_error": error, "gave_up": True}
        wait = backoff(attempts)
        logger.warning(
            "%s: attempt %d failed (%s); trying again in %s", what, attempts, error, wait
        )
        return {"last_error": error, "next_attempt_at": now + wait, "gave_up": False}

    # Digests ------------------------------------------------------------------------------

    async def _open_digests(self, now: dt.datetime) -> None:
        """Claim each due digest period of each person with waiting notifications: the claim
        row and the notifications it gathers, in one transaction."""
        chosen = select(NotificationSettings.user_id)
        for digest in (Digest.daily, Digest.weekly):
            key, end = period(digest, now, self.zone)
            wants = select(NotificationSettings.user_id).where(
                NotificationSettings.digest == digest, NotificationSettings.email.is_(True)
            )
            whose: Any = Notification.user_id.in_(wants)
            if digest is Digest.daily:  # the default, for people who never chose
                whose = or_(whose, Notification.user_id.not_in(chosen))
            gathered = and_(
                Notification.status == NotificationStatus.pending,
                Notification.digest_id.is_(None),
                Notification.created_at < end,
                self._free(Notification),
            )
            async with self.sessionmaker() as session:
                users = (
                    await session.scalars(
                        select(Notification.user_id).where(gathered, whose).distinct()
                    )
                ).all()
            for user_id in users:
                if self.stopping:
                    return
                await self._open_digest(user_id, key, gathered)

    async def _open_digest(self, user_id: uuid.UUID, key: str, gathered: Any) -> None:
        async with self.sessionmaker() as session, session.begin():
            now = utcnow()
            digest_id = await session.scalar(
                _insert(session, NotificationDigest)
                .values(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    period=key,
                    attempts=0,
                    next_attempt_at=now,
                    failed=False,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["user_id", "period"])
                .returning(NotificationDigest.id)
            )
            if digest_id is None:
                return  # another worker has this period's digest
            await session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, gathered)
                .values(digest_id=digest_id)
                .execution_options(synchronize_session=False)
            )

    async def _send_digests(self, now: dt.datetime) -> int:
        sent = 0
        while not self.stopping:
            async with self.sessionmaker() as session:
                ids = (
                    await session.scalars(
                        select(NotificationDigest.id)
                        .where(
                            NotificationDigest.sent_at.is_(None),
                            NotificationDigest.failed.is_(False),
                            NotificationDigest.next_attempt_at <= now,
                            self._free(NotificationDigest),
                        )
                        .order_by(NotificationDigest.created_at)
                        .limit(BATCH)
                    )
                ).all()
            if not ids:
                break
            for digest_id in ids:
                if self.stopping:
                    break
                if await self._claim(NotificationDigest, digest_id):
                    sent += await self._send_digest(digest_id)
        return sent

    async def _send_digest(self, digest_id: uuid.UUID) -> int:
        async with self.sessionmaker() as session:
            digest = await session.get_one(NotificationDigest, digest_id)
            gathered = (
                await session.scalars(
                    select(Notification)
                    .where(Notification.digest_id == digest_id)
                    .order_by(Notification.created_at, Notification.id)
                )
            ).all()
            content = [(n.type, n.data) for n in gathered]
            recipient = await self._recipient(session, digest.user_id)
            attempts = digest.attempts + 1
        error = None
        if content:
            error = await self._deliver(recipient, content, digest=True, message_id=digest_id)
        now = utcnow()
        values: dict[str, Any] = {"claimed_by": None, "claimed_at": None, "attempts": attempts}
        status: NotificationStatus | None = None
        if error is None:
            values |= {"sent_at": now, "last_error": None}
            status = NotificationStatus.sent
        else:
            values |= self._failure(f"digest {digest_id}", attempts, error, now)
            if values.pop("gave_up"):
                values["failed"] = True
                status = NotificationStatus.failed
        async with self.sessionmaker() as session, session.begin():
            await session.execute(
                update(NotificationDigest)
                .where(NotificationDigest.id == digest_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if status is not None:
                await session.execute(
                    update(Notification)
                    .where(Notification.digest_id == digest_id)
                    .values(status=status, sent_at=now if error is None else None)
                    .execution_options(synchronize_session=False)
                )
        return int(error is None and bool(content))


async def pending_count(session: AsyncSession) -> int:
    """Notifications not yet mailed (for tests and the operator)."""
    found = await session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.status == NotificationStatus.pending)
    )
    return int(found or 0)
