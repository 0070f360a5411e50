"""A person's notification settings, read and changed by the API and the /account page alike."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import DEFAULT_LANGUAGE, Language
from app.models.notification import Digest, NotificationSettings
from app.models.user import User
from app.notifications.schemas import NotificationSettingsRead, NotificationSettingsUpdate
from app.web.i18n import as_language


def _language(row: NotificationSettings | None, user: User) -> Language:
    chosen = as_language(row.language if row else None) or as_language(user.language)
    return chosen or DEFAULT_LANGUAGE


async def _row(session: AsyncSession, user_id: uuid.UUID) -> NotificationSettings | None:
    return await session.get(NotificationSettings, user_id)


async def read_settings(session: AsyncSession, user: User) -> NotificationSettingsRead:
    row = await _row(session, user.id)
    return NotificationSettingsRead(
        email=row.email if row else True,
        digest=row.digest if row else Digest.daily,
        language=_language(row, user),
    )


async def change_settings(
    session: AsyncSession, user: User, data: NotificationSettingsUpdate
) -> NotificationSettingsRead:
    sent = data.model_dump(exclude_unset=True)
    row = await _row(session, user.id)
    if row is None:
        row = NotificationSettings(user_id=user.id, email=True, digest=Digest.daily)
        session.add(row)
    for field, value in sent.items():
        if value is not None:  # null leaves a setting as it is
            setattr(row, field, value)
    await session.flush()
    return await read_settings(session, user)


async def language_of(session: AsyncSession, user: User) -> Language:
    return _language(await _row(session, user.id), user)
