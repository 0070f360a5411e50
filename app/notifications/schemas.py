from pydantic import BaseModel, Field, StrictBool

from app.i18n import Language
from app.json_types import RequestBody
from app.models.notification import Digest


class NotificationSettingsRead(BaseModel):
    email: bool = Field(description="Mail me at all; off: nothing is sent")
    digest: Digest = Field(
        description="daily or weekly: one mail gathering the period's events; off: each event "
        "mailed at once"
    )
    language: Language = Field(description="The mails' language; by default the account's")


class NotificationSettingsUpdate(RequestBody):
    email: StrictBool | None = None
    digest: Digest | None = None
    language: Language | None = None
