"""TOTP (RFC 6238) and recovery codes: secrets, their encryption at rest, checking codes."""

import base64
import datetime as dt
import hashlib
import re
import secrets
import uuid

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pyotp.utils import strings_equal

from app.config import Settings
from app.secret_key import derived_key

ISSUER = "rectrack"
RECOVERY_CODES = 10
# A code from the step before or after the current one is accepted too: phones' clocks drift.
_VALID_WINDOW = 1
_CODE = re.compile(r"^\d{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
_RECOVERY_LENGTH = 16  # 16 characters of 31: 79 bits, beyond guessing, so SHA-256 will do
_ENCRYPTION_VERSION = "v1"


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters: 160 bits, as RFC 4226 recommends


def _cipher(settings: Settings) -> AESGCM:
    return AESGCM(derived_key(settings, "totp secrets"))


def encrypt_secret(secret: str, user_id: uuid.UUID, settings: Settings) -> str:
    """AES-256-GCM with the account's id as associated data: a secret copied onto another
    account's row does not decrypt there."""
    nonce = secrets.token_bytes(12)
    sealed = _cipher(settings).encrypt(nonce, secret.encode(), user_id.bytes)
    return f"{_ENCRYPTION_VERSION}:" + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(stored: str, user_id: uuid.UUID, settings: Settings) -> str | None:
    """The secret, or None when it cannot be read (the signing key was changed since)."""
    version, _, payload = stored.partition(":")
    if version != _ENCRYPTION_VERSION:
        return None
    raw = base64.urlsafe_b64decode(payload)
    try:
        return _cipher(settings).decrypt(raw[:12], raw[12:], user_id.bytes).decode()
    except InvalidTag:
        return None


def looks_like_totp(code: str) -> bool:
    return bool(_CODE.match(code))


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code this is, within the accepted window, or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _VALID_WINDOW, current + _VALID_WINDOW + 1):
        if strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code_svg(uri: str) -> str:
    """The otpauth URI as an SVG QR code, to scan with an authenticator app."""
    return segno.make(uri, error="m").svg_inline(scale=4)


def new_recovery_codes() -> list[str]:
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    """Codes are matched without regard to case, spaces or dashes."""
    normal = re.sub(r"[\s-]", "", code).lower()
    return hashlib.sha256(normal.encode()).hexdigest()
