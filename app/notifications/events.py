"""Who hears of an event (DESIGN §11), written in the transaction of the change.

`notify` is called by the webhooks' `emit` (app/webhooks/events.py) with the same event, so that
a feature's service says once what happened; this module reads only models, never features. The
scan of due and overdue actions is the worker's (app/notifications/sending.py), through `add`.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import utcnow
from app.models.notification import Notification, NotificationSettings
from app.models.progress_update import ProgressUpdate
from app.models.recommendation import Recommendation
from app.models.user import Role, User

# A mail quotes the start of the recommendation, not all of it.
EXCERPT_CHARS = 280

Recipients = tuple[list[uuid.UUID], dict[str, Any]]


def _cache(session: AsyncSession) -> dict[Any, Any]:
    """Who is who, read once per transaction: a bulk assignment tells of hundreds of
    assignments to one institution, whose focal points are the same for each."""
    transaction = session.sync_session.get_transaction()
    kept = session.info.get("notification_recipients")
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info["notification_recipients"] = kept
    cache: dict[Any, Any] = kept[1]
    return cache


async def add(
    session: AsyncSession, type_: str, user_ids: Iterable[uuid.UUID], data: dict[str, Any]
) -> int:
    """A notification for each of `user_ids` who has email on (flushed with the change)."""
    wanted = set(user_ids)
    if not wanted:
        return 0
    cache = _cache(session)
    if "silent" not in cache:
        silent = await session.scalars(
            select(NotificationSettings.user_id).where(NotificationSettings.email.is_(False))
        )
        cache["silent"] = set(silent.all())
    wanted -= cache["silent"]
    now = utcnow()
    session.add_all(
        Notification(
            id=uuid.uuid4(),
            user_id=user_id,
            type=type_,
            data=data,
            created_at=now,
            next_attempt_at=now,
            attempts=0,
        )
        for user_id in sorted(wanted)
    )
    return len(wanted)


async def focal_points(session: AsyncSession, institution_id: uuid.UUID | None) -> list[uuid.UUID]:
    if institution_id is None:
        return []
    cache = _cache(session)
    if institution_id not in cache:
        found = await session.scalars(
            select(User.id).where(
                User.institution_id == institution_id,
                User.role == Role.focal_point,
                User.active.is_(True),
            )
        )
        cache[institution_id] = list(found.all())
    people: list[uuid.UUID] = cache[institution_id]
    return people


async def _recommendation(session: AsyncSession, recommendation_id: Any) -> dict[str, Any]:
    found = (
        await session.execute(
            select(Recommendation.symbol, Recommendation.paragraph, Recommendation.text).where(
                Recommendation.id == uuid.UUID(str(recommendation_id))
            )
        )
    ).one_or_none()
    if found is None:
        return {"recommendation_id": str(recommendation_id)}
    symbol, paragraph, text = found
    return {
        "recommendation_id": str(recommendation_id),
        "symbol": symbol,
        "paragraph": paragraph,
        "text": {lang: words[:EXCERPT_CHARS] for lang, words in (text or {}).items()},
    }


async def _assignment(session: AsyncSession, body: dict[str, Any]) -> Recipients:
    institution_id = uuid.UUID(str(body["institution_id"]))
    data = await _recommendation(session, body["recommendation_id"])
    data |= {"role": body.get("role"), "due_date": body.get("due_date")}
    return await focal_points(session, institution_id), data


async def _submitted(session: AsyncSession, body: dict[str, Any]) -> Recipients:
    coordinators = await session.scalars(
        select(User.id).where(User.role == Role.coordinator, User.active.is_(True))
    )
    data = await _recommendation(session, body["recommendation_id"])
    data |= {"update_id": str(body["id"]), "assessment": body.get("assessment")}
    return list(coordinators.all()), data


async def _reviewed(session: AsyncSession, body: dict[str, Any]) -> Recipients:
    # Read from the row: the event's body hides people and comments from anonymous readers.
    found = (
        await session.execute(
            select(
                ProgressUpdate.author_id, ProgressUpdate.reviewed_by_id,
                ProgressUpdate.review_comment,
            ).where(ProgressUpdate.id == uuid.UUID(str(body["id"])))
        )
    ).one_or_none()  # fmt: skip
    # Nobody is told of their own verdict (a coordinator's copies of an update applied to its
    # duplicates are theirs and validated by them: one mail per copy otherwise).
    if found is None or found.author_id is None or found.author_id == found.reviewed_by_id:
        return [], {}
    data = await _recommendation(session, body["recommendation_id"])
    data |= {
        "update_id": str(body["id"]),
        "assessment": body.get("assessment"),
        "comment": found.review_comment,
    }
    active = await session.scalar(select(User.active).where(User.id == found.author_id))
    return ([found.author_id] if active else []), data


async def _import(session: AsyncSession, body: dict[str, Any]) -> Recipients:
    data = {
        "job_id": str(body["id"]),
        "filename": body.get("filename"),
        "status": body.get("status"),
        "counts": body.get("counts") or {},
    }
    started_by = body.get("created_by_id")
    return ([uuid.UUID(str(started_by))] if started_by else []), data


_RECIPIENTS: dict[str, Callable[[AsyncSession, dict[str, Any]], Awaitable[Recipients]]] = {
    "assignment.created": _assignment,
    "progress_update.submitted": _submitted,
    "progress_update.validated": _reviewed,
    "progress_update.rejected": _reviewed,
    "import.finished": _import,
}


async def notify(session: AsyncSession, type_: str, body: dict[str, Any]) -> None:
    """Record the notifications of an event for the people §11 names (other events: none)."""
    recipients = _RECIPIENTS.get(type_)
    if recipients is None:
        return
    user_ids, data = await recipients(session, body)
    await add(session, type_, user_ids, data)
