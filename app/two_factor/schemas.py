from typing import Annotated

from pydantic import BaseModel, Field, SecretStr

from app.json_types import RequestBody
from app.users.schemas import Password

Code = Annotated[
    str,
    Field(
        min_length=6,
        max_length=64,
        description="Six digits from the authenticator app, or a recovery code",
    ),
]


class SecondFactorStatus(BaseModel):
    enabled: bool
    pending: bool = Field(description="Enrolment started, not yet confirmed with a first code")
    recovery_codes_left: int
    required: bool = Field(description="Whether your role must sign in with a second factor")


class EnrolmentStart(RequestBody):
    password: Password


class EnrolmentStarted(BaseModel):
    """Shown once: the secret is stored encrypted and never answered again."""

    secret: str = Field(description="Base32, for apps that take the secret typed in")
    otpauth_uri: str
    qr_code_svg: str = Field(description="The otpauth URI as a QR code, an SVG document")


class EnrolmentConfirm(RequestBody):
    code: Code


class PasswordAndCode(RequestBody):
    password: Password
    code: Annotated[SecretStr, Field(min_length=6, max_length=64)]


class RecoveryCodes(BaseModel):
    """Shown once: each works one time in place of a code; only their hashes are kept."""

    recovery_codes: list[str]
