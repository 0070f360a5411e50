"""What a notification mail says, in the recipient's language, and how it reaches the SMTP
server named by RECTRACK_SMTP_URL.

Subjects and lines are gettext messages marked here (babel.cfg extracts this module) and
laid out by app/templates/notifications/mail.{txt,html}: plain text and autoescaped HTML.
"""

import datetime as dt
import email.utils
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import aiosmtplib
from babel.dates import format_date

from app.i18n import Language
from app.notifications.smtp import SmtpServer
from app.web import i18n
from app.web.i18n import N_
from app.web.labels import label
from app.web.templating import environment

# Longer than any SMTP server's answer to one message; a hung server is tried again later.
SEND_TIMEOUT_SECONDS = 30.0

SUBJECTS = {
    "assignment.created": N_("A recommendation was assigned to your institution"),
    "action.due_soon": N_("An action of your institution is due soon"),
    "action.overdue": N_("An action of your institution is overdue"),
    "progress_update.submitted": N_("A progress update awaits validation"),
    "progress_update.validated": N_("Your progress update was validated"),
    "progress_update.rejected": N_("Your progress update was rejected"),
    "import.finished": N_("Your import has finished"),
}
DIGEST_SUBJECT = N_("rectrack digest: %(count)s notifications")


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Hand the message to the server; raises on any refusal or failure to connect."""
    await aiosmtplib.send(
        message,
        hostname=server.host,
        port=server.port,
        username=server.username,
        password=server.password,
        use_tls=server.use_tls,
        start_tls=server.start_tls,
        timeout=SEND_TIMEOUT_SECONDS,
    )


@dataclass
class Event:
    subject: str
    lines: list[str] = field(default_factory=list)
    quote: str | None = None
    link: str = ""


@dataclass(frozen=True)
class Recipient:
    email: str
    name: str
    language: Language


def _date(value: str | None, lang: Language) -> str:
    if not value:
        return ""
    return format_date(dt.date.fromisoformat(value), "medium", locale=lang)


def _line(message: str, **params: Any) -> str:
    return i18n.gettext(message) % params


def describe(type_: str, data: dict[str, Any], lang: Language, public_url: str) -> Event:
    """One event as the mail tells it (call within i18n.speaking(lang))."""
    event = Event(subject=i18n.gettext(SUBJECTS.get(type_, type_)))
    if "recommendation_id" in data:
        symbol = " ".join(p for p in (data.get("symbol"), data.get("paragraph")) if p)
        event.lines.append(_line(N_("Recommendation: %(symbol)s"), symbol=symbol))
        texts = data.get("text") or {}
        event.quote = texts.get(lang) or texts.get("en")
        event.link = f"{public_url}/recommendations/{data['recommendation_id']}"
    if data.get("role"):
        role = label(data["role"], "assignment_role")
        event.lines.append(_line(N_("Role: %(role)s"), role=role))
    if data.get("title"):
        event.lines.append(_line(N_("Action: %(title)s"), title=data["title"]))
    if data.get("due_date"):
        event.lines.append(_line(N_("Due: %(date)s"), date=_date(data["due_date"], lang)))
    if data.get("assessment"):
        assessment = label(data["assessment"], "assessment")
        event.lines.append(_line(N_("Assessment: %(assessment)s"), assessment=assessment))
    if data.get("comment"):
        event.lines.append(_line(N_("Comment: %(comment)s"), comment=data["comment"]))
    if data.get("filename"):
        event.lines.append(_line(N_("File: %(file)s"), file=data["filename"]))
        status = label(data.get("status"), "job_status")
        event.lines.append(_line(N_("Status: %(status)s"), status=status))
    if type_ == "progress_update.submitted":
        event.link = f"{public_url}/validation"
    elif type_.startswith("action."):
        event.link = f"{public_url}/my-work"
    elif type_ == "import.finished":
        event.link = f"{public_url}/imports/{data['job_id']}"
    return event


def compose(
    recipient: Recipient,
    notifications: Sequence[tuple[str, dict[str, Any]]],
    *,
    digest: bool,
    message_id: uuid.UUID,
    mail_from: str,
    public_url: str,
) -> EmailMessage:
    """The mail of one event, or of a digest of several, as plain text and HTML."""
    lang = recipient.language
    with i18n.speaking(lang):
        events = [describe(type_, data, lang, public_url) for type_, data in notifications]
        subject = _line(DIGEST_SUBJECT, count=len(events)) if digest else events[0].subject
        values = {
            "lang": lang,
            "dir": "rtl" if lang in i18n.RIGHT_TO_LEFT else "ltr",
            "subject": subject,
            "name": recipient.name,
            "events": events,
            "digest": digest,
            "account_link": f"{public_url}/account",
        }
        text = environment.get_template("notifications/mail.txt").render(values)
        html = environment.get_template("notifications/mail.html").render(values)
    message = EmailMessage()
    message["From"] = mail_from
    # A name may hold line breaks and other control characters (the API takes them): a header
    # cannot, and the mail would fail at every retry.
    shown = "".join(c for c in recipient.name if c.isprintable()) if recipient.name else ""
    message["To"] = email.utils.formataddr((shown, recipient.email))
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    domain = email.utils.parseaddr(mail_from)[1].rpartition("@")[2] or "rectrack.invalid"
    # The same on a retry: a mail client shows a duplicate (a send whose answer was lost) once.
    message["Message-ID"] = f"<{message_id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    # After the parts are made: making them moves Content-* headers into the first part.
    message["Content-Language"] = lang
    return message
