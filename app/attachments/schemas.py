import datetime as dt
import uuid

from app.auth.visibility import ShowsUsers, UserRef
from app.models.attachment import Attachment


class AttachmentRead(ShowsUsers):
    id: uuid.UUID
    progress_update_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    public: bool
    uploaded_by_id: UserRef
    created_at: dt.datetime

    @classmethod
    def build(cls, attachment: Attachment) -> "AttachmentRead":
        return cls.model_validate(attachment, from_attributes=True)
