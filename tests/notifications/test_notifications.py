"""Notifications by email (DESIGN §11): settings, who hears of what, immediate mails and
digests read back from a real SMTP server, reminders once per action, claims between two
workers, retries, the recipient's language and the public links."""

import asyncio
import datetime as dt
import logging
import re
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr
from sqlalchemy import select, update

from app.imports import service as imports
from app.models.base import utcnow
from app.models.import_job import ImportJob
from app.models.notification import Digest, Notification, NotificationDigest, NotificationStatus
from app.models.user import Role, TokenScope, User
from app.notifications.sending import MailWorker, period
from app.notifications.smtp import smtp_server as parse_smtp_url
from tests.accounts import bearer, make_api_token, make_user
from tests.conftest import ClientFactory
from tests.imports import uhri_files as uhri
from tests.notifications.smtp import Inbox, smtp_server
from tests.planning.factories import assign, days_from_today, institution_id, plan_action, report
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

PUBLIC_URL = "https://rectrack.example.org/nmrf"
TOMORROW = dt.timedelta(days=1)


@pytest.fixture
async def inbox(app: FastAPI) -> AsyncIterator[Inbox]:
    with smtp_server() as server:
        use_smtp(app, server)
        yield server


def use_smtp(app: FastAPI, server: Inbox) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={
            "smtp_url": SecretStr(server.url),
            "public_url": PUBLIC_URL,
            "mail_from": "NMRF <rectrack@nmrf.example.org>",
        }
    )


def worker(app: FastAPI, name: str | None = None) -> MailWorker:
    return MailWorker(app.state.sessionmaker, app.state.settings, worker_id=name)


async def run(app: FastAPI, now: dt.datetime | None = None) -> int:
    """One pass of a fresh worker (a new process, as far as the database can tell)."""
    return await worker(app).run_due(now)


async def person(
    app: FastAPI, role: Role = Role.focal_point, *, institution: str | None = None,
    language: str | None = None, **settings: Any,
) -> tuple[User, AsyncClient]:  # fmt: skip
    user = await make_user(
        app, role, institution_id=uuid.UUID(institution) if institution else None
    )
    if language:
        async with app.state.sessionmaker() as session, session.begin():
            await session.execute(update(User).where(User.id == user.id).values(language=language))
    http = AsyncClient(
        transport=ASGITransport(app=app), base_url="http://test/api/v1",
        headers=bearer(app, user),
    )  # fmt: skip
    if settings:
        changed = await http.patch("/users/me/notifications", json=settings)
        assert changed.status_code == 200, changed.text
    return user, http


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(("html",))
    assert body is not None
    return str(body.get_content())


async def notifications(app: FastAPI) -> list[Notification]:
    async with app.state.sessionmaker() as session:
        found = await session.scalars(select(Notification).order_by(Notification.created_at))
        return list(found.all())


# Settings ---------------------------------------------------------------------------------


async def test_settings_default_to_email_a_daily_digest_in_the_accounts_language(
    app: FastAPI,
) -> None:
    _, http = await person(app, Role.viewer, language="ru")
    answer = await http.get("/users/me/notifications")
    assert answer.status_code == 200
    assert answer.json() == {"email": True, "digest": "daily", "language": "ru"}
    changed = await http.patch("/users/me/notifications", json={"digest": "off"})
    assert changed.json() == {"email": True, "digest": "off", "language": "ru"}
    changed = await http.patch("/users/me/notifications", json={"email": False, "language": "zh"})
    assert changed.json() == {"email": False, "digest": "off", "language": "zh"}
    assert (await http.get("/users/me/notifications")).json() == changed.json()
    await http.aclose()


@pytest.mark.parametrize(
    "body",
    [
        {"digest": "hourly"},
        {"email": "yes"},
        {"email": 1},
        {"language": "de"},
        {"sms": True},
        [],
    ],
)
async def test_bad_settings_are_refused_with_a_problem(app: FastAPI, body: Any) -> None:
    _, http = await person(app, Role.viewer)
    answer = await http.patch("/users/me/notifications", json=body)
    assert_problem(answer, 422)
    assert (await http.get("/users/me/notifications")).json()["digest"] == "daily"
    await http.aclose()


async def test_settings_need_a_signed_in_caller(anonymous: AsyncClient) -> None:
    assert_problem(await anonymous.get("/users/me/notifications"), 401)
    assert_problem(await anonymous.patch("/users/me/notifications", json={}), 401)


@pytest.mark.parametrize("scope", [TokenScope.read, TokenScope.write])
async def test_an_api_token_may_read_the_settings_but_not_change_them(
    app: FastAPI, make_client: ClientFactory, scope: TokenScope
) -> None:
    """A read-only token acts as a viewer, who may change their own settings; like a password,
    they are changed signed in, not through a token that may have leaked."""
    user = await make_user(app, Role.coordinator)
    _, secret = await make_api_token(app, user, scope)
    http = await make_client(headers={"Authorization": f"Bearer {secret}"})
    assert (await http.get("/users/me/notifications")).status_code == 200
    assert_problem(await http.patch("/users/me/notifications", json={"email": False}), 403)
    signed_in = await make_client(headers=bearer(app, user))
    changed = await signed_in.patch("/users/me/notifications", json={"email": False})
    assert changed.status_code == 200, changed.text


def test_the_smtp_url_says_how_to_connect() -> None:
    plain = parse_smtp_url("smtp://mail.example.org")
    assert (plain.port, plain.use_tls, plain.start_tls, plain.username) == (25, False, False, None)
    upgraded = parse_smtp_url("smtp://us%40er:p%3Ass@mail.example.org:2525?starttls=true")
    assert (upgraded.port, upgraded.start_tls, upgraded.username, upgraded.password) == (
        2525, True, "us@er", "p:ss",
    )  # fmt: skip
    implicit = parse_smtp_url("smtps://u:p@mail.example.org")
    assert (implicit.port, implicit.use_tls, implicit.start_tls) == (465, True, False)
    for bad in ("http://mail.example.org", "smtp://", "smtp://h?starttls=maybe"):
        with pytest.raises(ValueError, match=r"smtp|starttls"):
            parse_smtp_url(bad)


# Immediate mails, digests and settings' effects --------------------------------------------


async def test_digest_off_mails_each_event_at_once_in_the_persons_language(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    focal, _ = await person(app, institution=institution, digest="off", language="fr")
    rec = await create_recommendation(
        client, text={"en": "Ratify <b>the</b> convention", "fr": "Ratifier <b>la</b> convention"}
    )
    await assign(client, rec["id"], institution, due_date=days_from_today(30))
    assert await run(app) == 1
    [message] = inbox.messages
    assert focal.email in message["To"]
    assert message["From"] == "NMRF <rectrack@nmrf.example.org>"
    assert message["Subject"] == "Une recommandation a été attribuée à votre institution"
    assert message["Content-Language"] == "fr"
    text, html = text_of(message), html_of(message)
    assert "Ratifier <b>la</b> convention" in text
    assert "Ratifier &lt;b&gt;la&lt;/b&gt; convention" in html, "the HTML is escaped"
    assert "<b>la</b>" not in html
    assert f"{PUBLIC_URL}/recommendations/{rec['id']}" in text
    assert f'href="{PUBLIC_URL}/recommendations/{rec["id"]}"' in html
    links = re.findall(r"https?://[^\s\"<>]+", text + html)
    assert links
    assert all(link.startswith(PUBLIC_URL + "/") for link in links), links
    assert await run(app) == 0, "sent once"
    [sent] = await notifications(app)
    assert sent.status is NotificationStatus.sent


async def test_email_off_sends_nothing(app: FastAPI, client: AsyncClient, inbox: Inbox) -> None:
    institution = await institution_id(app)
    await person(app, institution=institution, email=False, digest="off")
    _, later = await person(app, institution=institution, digest="off")
    rec = await create_recommendation(client)
    await assign(client, rec["id"], institution)
    assert len(await notifications(app)) == 1, "nothing recorded for email off"
    # Turned off after the event was recorded: not sent either.
    await later.patch("/users/me/notifications", json={"email": False})
    assert await run(app) == 0
    assert await run(app, utcnow() + 8 * TOMORROW) == 0
    assert inbox.messages == []
    [dropped] = await notifications(app)
    assert dropped.status is NotificationStatus.dropped


async def test_a_daily_digest_gathers_the_days_events_into_one_mail(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    focal, _ = await person(app, institution=institution)  # the default: daily
    first = await create_recommendation(client, text={"en": "First recommendation"})
    second = await create_recommendation(client, text={"en": "Second recommendation"})
    await assign(client, first["id"], institution)
    await assign(client, second["id"], institution, role="support")
    assert await run(app) == 0, "the day is not over"
    assert await run(app, utcnow() + TOMORROW) == 1
    [digest] = inbox.messages
    assert focal.email in digest["To"]
    assert digest["Subject"] == "rectrack digest: 2 notifications"
    text = text_of(digest)
    for said in ("First recommendation", "Second recommendation", "Role: Lead", "Role: Support"):
        assert said in text
    assert await run(app, utcnow() + TOMORROW) == 0
    assert await run(app, utcnow() + 2 * TOMORROW) == 0, "nothing new: no empty digest"
    async with app.state.sessionmaker() as session:
        [claim] = (await session.scalars(select(NotificationDigest))).all()
    assert claim.period == f"daily:{dt.datetime.now(dt.UTC).date()}"
    assert all(n.status is NotificationStatus.sent for n in await notifications(app))


async def test_a_weekly_digest_waits_for_the_week_to_end(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    await person(app, institution=institution, digest="weekly")
    await assign(client, (await create_recommendation(client))["id"], institution)
    now = utcnow()
    next_monday = now + dt.timedelta(days=7 - now.weekday())
    assert await run(app, now + TOMORROW if now.weekday() < 6 else now) == 0
    assert await run(app, next_monday) == 1
    assert len(inbox.messages) == 1


def test_periods_are_the_nmrfs_calendar() -> None:
    from zoneinfo import ZoneInfo

    apia = ZoneInfo("Pacific/Apia")  # UTC+13: its day starts at 11:00 UTC the day before
    now = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)  # 30 November, 01:00 in Apia
    key, end = period(Digest.daily, now, apia)
    assert key == "daily:2026-11-29"
    assert end == dt.datetime(2026, 11, 29, 11, 0, tzinfo=dt.UTC)
    key, end = period(Digest.weekly, now, apia)  # Monday 30 November in Apia
    assert key == "weekly:2026-W48"
    assert end == dt.datetime(2026, 11, 29, 11, 0, tzinfo=dt.UTC)


# Events and their recipients ----------------------------------------------------------------


async def test_updates_notify_coordinators_then_their_author(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    author, author_http = await person(app, institution=institution, digest="off")
    coordinator, _ = await person(app, Role.coordinator, digest="off", language="es")
    rec = await create_recommendation(client)
    await assign(client, rec["id"], institution)
    await run(app)
    inbox.messages.clear()
    draft = await report(author_http, rec["id"], "in_progress")
    assert (await author_http.post(f"/progress-updates/{draft['id']}/submit")).status_code == 200
    assert await run(app) >= 1
    [to_coordinator] = inbox.to(coordinator.email)
    assert to_coordinator["Subject"] == "Una actualización de los avances espera validación"
    assert f"{PUBLIC_URL}/validation" in text_of(to_coordinator)
    assert inbox.to(author.email) == []
    rejected = await client.post(
        f"/progress-updates/{draft['id']}/reject", json={"comment": "Add the decree's number"}
    )
    assert rejected.status_code == 200, rejected.text
    inbox.messages.clear()
    assert await run(app) == 1
    [to_author] = inbox.to(author.email)
    assert to_author["Subject"] == "Your progress update was rejected"
    assert "Comment: Add the decree's number" in text_of(to_author)
    await author_http.aclose()


async def test_nobody_is_mailed_their_own_verdict(app: FastAPI, inbox: Inbox) -> None:
    """A coordinator who reports and validates (or applies an update to its duplicates, each copy
    theirs and validated by them) is not mailed about it."""
    coordinator, http = await person(app, Role.coordinator, digest="off")
    rec = await create_recommendation(http)
    draft = await report(http, rec["id"], "in_progress", institution_id=await institution_id(app))
    assert (await http.post(f"/progress-updates/{draft['id']}/submit")).status_code == 200
    assert (await http.post(f"/progress-updates/{draft['id']}/validate")).status_code == 200
    await run(app)
    subjects = [m["Subject"] for m in inbox.to(coordinator.email)]
    assert "Your progress update was validated" not in subjects
    await http.aclose()


async def test_a_name_with_line_breaks_still_gets_its_mail(app: FastAPI, inbox: Inbox) -> None:
    """The API takes control characters in a name; a mail header cannot hold them."""
    institution = await institution_id(app)
    focal, _ = await person(app, institution=institution, digest="off")
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(User).where(User.id == focal.id).values(name="FP One\r\nBcc: x@evil.org")
        )
    _, http = await person(app, Role.coordinator)
    rec = await create_recommendation(http)
    await assign(http, rec["id"], institution)
    assert await run(app) == 1
    [message] = inbox.to(focal.email)
    assert message["To"] == f'"FP OneBcc: x@evil.org" <{focal.email}>'
    assert message["Bcc"] is None
    await http.aclose()


async def test_a_finished_import_notifies_who_started_it(
    app: FastAPI, inbox: Inbox, tmp_path: Path
) -> None:
    starter, _ = await person(app, Role.coordinator, digest="off")
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    async with app.state.sessionmaker() as session, session.begin():
        job = await imports.create_job(
            session, stored_path=path, filename=path.name, dry_run=False, countries=[],
            lang=None, actor=None,
        )  # fmt: skip
        await session.execute(
            update(ImportJob).where(ImportJob.id == job.id).values(created_by_id=starter.id)
        )
    assert await imports.claim_job(app.state.sessionmaker, job.id)
    await imports.run_job(app.state.sessionmaker, job.id)
    assert await run(app) == 1
    [message] = inbox.messages
    assert message["Subject"] == "Your import has finished"
    assert f"{PUBLIC_URL}/imports/{job.id}" in text_of(message)
    assert "File: export-full-en.json" in text_of(message)


async def test_due_soon_and_overdue_are_each_sent_once_per_action(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    focal, _ = await person(app, institution=institution, digest="off")
    rec = await create_recommendation(client)
    soon = await plan_action(
        client, [rec["id"]], title="Train the judges", institution_id=institution,
        due_date=days_from_today(10),
    )  # fmt: skip
    await plan_action(
        client, [rec["id"]], title="Far away", institution_id=institution,
        due_date=days_from_today(40),
    )  # fmt: skip
    await plan_action(
        client, [rec["id"]], title="Done already", institution_id=institution,
        due_date=days_from_today(-3), status="completed",
    )  # fmt: skip
    assert await run(app) == 1
    [due] = inbox.messages
    assert due["Subject"] == "An action of your institution is due soon"
    assert "Action: Train the judges" in text_of(due)
    assert f"{PUBLIC_URL}/my-work" in text_of(due)
    for _ in range(3):
        assert await run(app) == 0, "due soon: once"
    eleven_days_on = utcnow() + dt.timedelta(days=11)
    assert await run(app, eleven_days_on) == 1
    assert inbox.messages[-1]["Subject"] == "An action of your institution is overdue"
    assert await run(app, eleven_days_on + TOMORROW) == 0, "overdue: once"
    assert all(focal.email in m["To"] for m in inbox.messages)
    assert soon["title"] == "Train the judges"


async def test_today_for_reminders_is_the_date_in_the_nmrfs_time_zone(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"timezone": "Pacific/Kiritimati"})
    institution = await institution_id(app)
    await person(app, institution=institution, digest="off")
    rec = await create_recommendation(client)
    # Due "today" in UTC: from 10:00 UTC on, that day is over in Kiritimati (UTC+14).
    await plan_action(client, [rec["id"]], institution_id=institution, due_date=days_from_today(0))
    kiritimati_evening = dt.datetime.combine(
        dt.datetime.now(dt.UTC).date(), dt.time(11), tzinfo=dt.UTC
    )
    assert await run(app, kiritimati_evening) == 1
    assert inbox.messages[0]["Subject"] == "An action of your institution is overdue"


# Claims, workers and retries -----------------------------------------------------------------


async def test_two_workers_at_once_send_each_digest_exactly_once(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    people = [(await person(app, institution=institution))[0] for _ in range(4)]
    for _ in range(3):
        await assign(client, (await create_recommendation(client))["id"], institution)
    await person(app, institution=institution, digest="off")  # too late for those three
    tomorrow = utcnow() + TOMORROW
    for _ in range(3):
        sent = await asyncio.gather(
            worker(app, "first").run_due(tomorrow), worker(app, "second").run_due(tomorrow)
        )
        assert sum(sent) in (0, len(people))
    for somebody in people:
        [digest] = inbox.to(somebody.email)
        assert digest["Subject"] == "rectrack digest: 3 notifications"
    assert len(inbox.messages) == len(people)


async def test_a_failed_send_is_retried_with_backoff_and_logged(
    app: FastAPI, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    institution = await institution_id(app)
    focal, _ = await person(app, institution=institution, digest="off")
    with smtp_server(refusals=2) as inbox:
        use_smtp(app, inbox)
        await assign(client, (await create_recommendation(client))["id"], institution)
        mailer = worker(app)
        with caplog.at_level(logging.WARNING, logger="rectrack.notifications"):
            for wait in (60, 120):
                before = utcnow()
                assert await mailer.run_due() == 0
                assert await mailer.run_due() == 0, "retried before its backoff"
                [waiting] = await notifications(app)
                assert waiting.status is NotificationStatus.pending
                assert waiting.claimed_by is None
                assert "451" in (waiting.last_error or "")
                waited = (waiting.next_attempt_at - before).total_seconds()
                assert wait <= waited < wait + 5, waited
                assert await mailer.run_due(before + dt.timedelta(seconds=wait - 5)) == 0
                async with app.state.sessionmaker() as session, session.begin():
                    await session.execute(update(Notification).values(next_attempt_at=utcnow()))
            assert await mailer.run_due() == 1
        failures = [r for r in caplog.records if "attempt" in r.getMessage()]
        assert len(failures) == 2, [r.getMessage() for r in caplog.records]
        [sent] = await notifications(app)
        assert (sent.status, sent.attempts) == (NotificationStatus.sent, 3)
        assert [focal.email in m["To"] for m in inbox.messages] == [True]


async def test_a_worker_without_smtp_sends_nothing_and_says_so(
    app: FastAPI, client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    from app.worker import Worker

    institution = await institution_id(app)
    await person(app, institution=institution, digest="off")
    await assign(client, (await create_recommendation(client))["id"], institution)
    running = Worker(app.state.sessionmaker, app.state.settings, poll_seconds=0.05)
    with caplog.at_level(logging.INFO, logger="rectrack.worker"):
        task = asyncio.create_task(running.run())
        await asyncio.sleep(0.3)
        running.stop()
        await asyncio.wait_for(task, 10)
    said = [r.getMessage() for r in caplog.records if "RECTRACK_SMTP_URL" in r.getMessage()]
    assert len(said) == 1
    [waiting] = await notifications(app)
    assert waiting.status is NotificationStatus.pending


async def test_the_worker_mails_and_stops_on_request(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    from app.worker import Worker

    institution = await institution_id(app)
    await person(app, institution=institution, digest="off")
    await assign(client, (await create_recommendation(client))["id"], institution)
    running = Worker(app.state.sessionmaker, app.state.settings, poll_seconds=0.05)
    task = asyncio.create_task(running.run())
    for _ in range(100):
        if inbox.messages:
            break
        await asyncio.sleep(0.05)
    running.stop()
    await asyncio.wait_for(task, 10)
    assert len(inbox.messages) == 1


async def test_a_dead_workers_claim_is_taken_over_only_after_its_lease(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    await person(app, institution=institution)
    await assign(client, (await create_recommendation(client))["id"], institution)
    tomorrow = utcnow() + TOMORROW
    dead = worker(app, "dead")
    await dead._open_digests(tomorrow)
    [digest_id] = await _digests(app)
    assert await dead._claim(NotificationDigest, digest_id)  # then killed before sending
    assert await run(app, tomorrow) == 0, "a live claim is respected"
    lease = dt.timedelta(seconds=app.state.settings.mail_lease_seconds)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(NotificationDigest).values(claimed_at=utcnow() - lease - TOMORROW / 24)
        )
    assert await run(app, tomorrow) == 1
    assert await run(app, tomorrow) == 0
    assert len(inbox.messages) == 1


async def _digests(app: FastAPI) -> list[uuid.UUID]:
    async with app.state.sessionmaker() as session:
        return list((await session.scalars(select(NotificationDigest.id))).all())


def test_an_unreadable_smtp_url_stops_the_settings() -> None:
    from pydantic import ValidationError

    from app.config import Settings

    with pytest.raises(ValidationError, match=r"smtp://"):
        Settings(smtp_url=SecretStr("http://mail.example.org"))
    assert Settings(public_url="https://nmrf.example.org/").public_url == "https://nmrf.example.org"


async def test_finished_notifications_are_trimmed_after_thirty_days(
    app: FastAPI, client: AsyncClient, inbox: Inbox
) -> None:
    institution = await institution_id(app)
    await person(app, institution=institution)
    await assign(client, (await create_recommendation(client))["id"], institution)
    assert await run(app, utcnow() + TOMORROW) == 1
    await assign(client, (await create_recommendation(client))["id"], institution)  # waiting
    long_ago = utcnow() - dt.timedelta(days=31)
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(Notification)
            .where(Notification.status == NotificationStatus.sent)
            .values(created_at=long_ago)
        )
        await session.execute(update(NotificationDigest).values(created_at=long_ago))
    await run(app)
    [waiting] = await notifications(app)
    assert waiting.status is NotificationStatus.pending, "what is owed stays, however old"
    assert await _digests(app) == []
