"""An evidence file as a download, for the API and the workspace alike."""

from fastapi.responses import FileResponse

from app.attachments import storage
from app.config import Settings
from app.errors import NotFound
from app.models.attachment import Attachment


def etag_of(attachment: Attachment) -> str:
    """A file never changes: its digest tags it."""
    return f'"{attachment.sha256}"'


def file_response(settings: Settings, attachment: Attachment) -> FileResponse:
    """Always an attachment, never shown inline, and its type never guessed by the browser: a
    file is what someone uploaded, and may be crafted to run as a page of this site."""
    path = storage.blob_path(settings, attachment.sha256)
    if not path.is_file():
        raise NotFound(f"The file of attachment {attachment.id} is missing from the store.")
    return FileResponse(
        path,
        media_type=attachment.content_type,
        filename=attachment.filename,
        content_disposition_type="attachment",
        headers={"ETag": etag_of(attachment), "X-Content-Type-Options": "nosniff"},
    )
