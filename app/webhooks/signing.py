"""Standard Webhooks signatures (https://www.standardwebhooks.com) and the secrets behind them.

The receiver computes base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")),
where key is the base64-decoded part of the secret after `whsec_`, and compares it with each
`v1,` signature of the `webhook-signature` header (docs/webhooks.md has the recipe).
"""

import base64
import hashlib
import hmac
import secrets
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.config import Settings
from app.secret_key import derived_key

PREFIX = "whsec_"
_SEALED = "v1:"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _cipher(settings: Settings) -> AESGCM:
    return AESGCM(derived_key(settings, "webhook secrets"))


def seal(secret: str, webhook_id: uuid.UUID, settings: Settings) -> str:
    """AES-256-GCM, bound to the webhook's id: a secret copied to another row does not open."""
    nonce = secrets.token_bytes(12)
    sealed = _cipher(settings).encrypt(nonce, secret.encode(), webhook_id.bytes)
    return _SEALED + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(stored: str, webhook_id: uuid.UUID, settings: Settings) -> str | None:
    """The secret, or None when it cannot be read (the service's secret changed since)."""
    if not stored.startswith(_SEALED):
        return None
    raw = base64.urlsafe_b64decode(stored.removeprefix(_SEALED))
    try:
        return _cipher(settings).decrypt(raw[:12], raw[12:], webhook_id.bytes).decode()
    except InvalidTag:
        return None
