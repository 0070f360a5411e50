"""Evidence files on progress updates (DESIGN §11): who may add, read and delete them."""

import asyncio
import uuid
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attachments import storage
from app.attachments.detect import content_type, named_for
from app.attachments.schemas import AttachmentRead
from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.config import Settings
from app.db import after_commit
from app.errors import Conflict, NotFound, UnsupportedMediaType
from app.imports.service import safe_filename
from app.models.attachment import Attachment
from app.models.progress_update import ProgressUpdate, UpdateState
from app.pagination import KeysetOrder, PageParams, cursor_timestamp, cursor_uuid, paginate
from app.progress_updates.service import lock_state, require_reporter

OLDEST_FIRST = KeysetOrder[Attachment](
    name="attachments", columns=[Attachment.created_at, Attachment.id], descending=False,
    key=lambda a: [a.created_at, a.id], parsers=[cursor_timestamp, cursor_uuid],
)  # fmt: skip
_EDITABLE = (UpdateState.draft, UpdateState.rejected)
ACCEPTED = "PDF, DOCX, XLSX, ODT, ODS, PNG, JPEG, CSV or plain text (UTF-8)"


def _audit_view(attachment: Attachment) -> dict[str, Any]:
    return AttachmentRead.build(attachment).model_dump(
        mode="json", exclude={"id", "created_at", "uploaded_by_id"}
    )


def visible_to(principal: Principal | None) -> Any:
    """The public sees the public files of validated updates; anyone signed in sees all."""
    if principal is not None:
        return None
    validated = select(ProgressUpdate.id).where(ProgressUpdate.state == UpdateState.validated)
    return Attachment.public.is_(True) & Attachment.progress_update_id.in_(validated)


async def may_attach(
    session: AsyncSession, update: ProgressUpdate, actor: Principal, settings: Settings
) -> None:
    """Checked before the body is read: whoever may edit the update, while it may be edited."""
    await require_reporter(session, update, actor)
    if update.state not in _EDITABLE:
        raise Conflict(
            f"Files are added to drafts and rejected updates, not to {update.state} ones."
        )
    await _check_room(session, update, settings.max_attachments_per_update)


async def _check_room(session: AsyncSession, update: ProgressUpdate, most: int) -> None:
    held = await session.scalar(
        select(func.count()).where(Attachment.progress_update_id == update.id)
    )
    if (held or 0) >= most:
        raise Conflict(
            f"This update holds {held} files, the most one may "
            "(RECTRACK_MAX_ATTACHMENTS_PER_UPDATE); delete one to attach another."
        )


async def add(
    session: AsyncSession,
    settings: Settings,
    update: ProgressUpdate,
    received: storage.Received,
    public: bool,
    actor: Principal,
) -> Attachment:
    # The state was checked before the body; it may have moved while the body arrived.
    await lock_state(session, update)
    if update.state not in _EDITABLE:
        received.discard()
        raise Conflict(
            f"The update became {update.state} while the file arrived; files are added to "
            "drafts and rejected updates only."
        )
    try:  # counted again under the lock: two uploads at once may not pass the limit together
        await _check_room(session, update, settings.max_attachments_per_update)
    except Conflict:
        received.discard()
        raise
    kind = content_type(received.head, received.text)
    if kind is None:
        received.discard()
        raise UnsupportedMediaType(
            f"rectrack keeps {ACCEPTED} files; this file's content is none of those."
        )
    marker = await asyncio.to_thread(storage.keep, settings, received)
    # Once this row is committed, or not, the content needs no marker to stay.
    for done in ("after_commit", "after_soft_rollback"):
        event.listen(
            session.sync_session, done, lambda *_: storage.forget_marker(marker), once=True
        )
    name = named_for(safe_filename(received.filename), kind)
    attachment = Attachment(
        id=uuid.uuid4(), progress_update_id=update.id, filename=name, content_type=kind,
        size=received.size,
        sha256=received.digest, public=public, uploaded_by_id=actor.user.id,
    )  # fmt: skip
    session.add(attachment)
    await session.flush()
    await record_event(
        session, actor, "create", "attachment", str(attachment.id),
        diff({}, _audit_view(attachment)),
    )  # fmt: skip
    return attachment


async def get_visible(
    session: AsyncSession, attachment_id: uuid.UUID, principal: Principal | None
) -> Attachment:
    stmt = select(Attachment).where(Attachment.id == attachment_id)
    if (visible := visible_to(principal)) is not None:
        stmt = stmt.where(visible)
    attachment = await session.scalar(stmt)
    if attachment is None:
        raise NotFound(f"There is no attachment {attachment_id}.")
    return attachment


async def delete(
    session: AsyncSession, settings: Settings, attachment: Attachment, actor: Principal
) -> None:
    update = await session.get_one(ProgressUpdate, attachment.progress_update_id)
    await require_reporter(session, update, actor)
    if update.state not in _EDITABLE:
        raise Conflict(
            f"A file of a {update.state} update is part of the record; only drafts' and "
            "rejected updates' files may be deleted."
        )
    digest = attachment.sha256
    await record_event(
        session, actor, "delete", "attachment", str(attachment.id),
        diff(_audit_view(attachment), {}),
    )  # fmt: skip
    await session.delete(attachment)
    await session.flush()
    others = await session.scalar(select(func.count()).where(Attachment.sha256 == digest))
    if not others:
        # Only once the row is gone for good: a rolled-back delete keeps its file.
        after_commit(session, lambda fresh: _remove_unless_used(fresh, settings, digest))


async def _remove_unless_used(session: AsyncSession, settings: Settings, digest: str) -> None:
    """Remove the file of a content whose last row this request deleted, unless an upload of
    the same content came meanwhile: one that looked for the file before it was moved aside
    either still holds its marker or has committed its row, which is counted here, after the
    move. (One that looks after the move places its own copy.)"""
    aside = await asyncio.to_thread(storage.move_aside, settings, digest)
    if aside is None:
        return
    wanted = await asyncio.to_thread(storage.is_marked, settings, digest)
    if not wanted:
        count = select(func.count()).where(Attachment.sha256 == digest)
        wanted = bool(await session.scalar(count))
    if wanted:
        await asyncio.to_thread(storage.put_back, settings, aside, digest)
    else:
        await asyncio.to_thread(aside.unlink)


async def list_for_update(
    session: AsyncSession, update: ProgressUpdate, principal: Principal | None, params: PageParams
) -> tuple[list[Attachment], str | None, int | None]:
    stmt = select(Attachment).where(Attachment.progress_update_id == update.id)
    if (visible := visible_to(principal)) is not None:
        stmt = stmt.where(visible)
    return await paginate(session, stmt, OLDEST_FIRST, params)


async def files_of_updates(
    session: AsyncSession, update_ids: list[uuid.UUID], principal: Principal | None
) -> dict[uuid.UUID, list[Attachment]]:
    """The files of several updates in one query (a page lists each update's), oldest first."""
    if not update_ids:
        return {}
    stmt = (
        select(Attachment)
        .where(Attachment.progress_update_id.in_(update_ids))
        .order_by(Attachment.created_at, Attachment.id)
    )
    if (visible := visible_to(principal)) is not None:
        stmt = stmt.where(visible)
    found: dict[uuid.UUID, list[Attachment]] = {}
    for attachment in await session.scalars(stmt):
        found.setdefault(attachment.progress_update_id, []).append(attachment)
    return found
