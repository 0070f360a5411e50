"""Passwords, login tokens and API token secrets."""

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import anyio.to_thread
import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from app.config import Settings
from app.errors import ServiceUnavailable
from app.secret_key import derived_key

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
ZXCVBN_MAX_LENGTH = 72
API_TOKEN_PREFIX = "rt_"
_LOOKUP_LENGTH = len(API_TOKEN_PREFIX) + 12
_JWT_ALGORITHM = "HS256"


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hash_password(password: str, settings: Settings) -> str:
    return _hasher(settings.password_time_cost, settings.password_memory_kib).hash(password)


@lru_cache(maxsize=4)
def _decoy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str | None, password: str, settings: Settings) -> bool:
    """Check a password; with no account, spend the same time on a decoy so timing tells nothing."""
    hasher = _hasher(settings.password_time_cost, settings.password_memory_kib)
    target = password_hash or _decoy_hash(settings.password_time_cost, settings.password_memory_kib)
    try:
        return hasher.verify(target, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


class _HashingSlots:
    """How many password hashes are running. A sign-in holds a slot from before its attempt is
    recorded until its hash is done; when all are taken it is refused at once (503) rather
    than queued: queued sign-ins would each hold a database connection while they wait."""

    def __init__(self) -> None:
        self.in_use = 0


_slots = _HashingSlots()
BUSY = "Too many sign-ins are being checked at this moment; nothing was recorded. Retry shortly."


@asynccontextmanager
async def hashing_slot(settings: Settings) -> AsyncIterator[None]:
    # One event loop: the test and the increment cannot be interleaved by another task.
    if _slots.in_use >= settings.password_hash_concurrency:
        raise ServiceUnavailable(BUSY, headers={"Retry-After": "1"})
    _slots.in_use += 1
    try:
        yield
    finally:
        _slots.in_use -= 1


async def verify_password_in_thread(
    password_hash: str | None, password: str, settings: Settings
) -> bool:
    """verify_password off the event loop (Argon2 takes tens of milliseconds of CPU, during
    which no other request would be served). Cancelling the caller waits for the thread, so
    a slot is never given back while its hash still runs."""
    return await anyio.to_thread.run_sync(verify_password, password_hash, password, settings)


async def hash_password_in_thread(password: str, settings: Settings) -> str:
    async with hashing_slot(settings):
        return await anyio.to_thread.run_sync(hash_password, password, settings)


PASSWORD_RULE = f"at least {MIN_PASSWORD_LENGTH} characters, and not easy to guess"


def password_rule(reason: str) -> str:
    """The one sentence a refused password gets, in the API and the command line alike."""
    return f"A password needs {PASSWORD_RULE}: {reason}."


def password_length_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return password_rule(f"this one has {len(password)}")
    if len(password) > MAX_PASSWORD_LENGTH:
        return password_rule(f"this one has more than {MAX_PASSWORD_LENGTH} characters")
    return None


def password_problems(password: str, *, email: str, name: str) -> list[str]:
    """Why a password is refused: too short, too long, or easy to guess (zxcvbn score < 3)."""
    too_long_or_short = password_length_problem(password)
    if too_long_or_short:
        return [too_long_or_short]
    # zxcvbn knows the commonest passwords, words, names, keyboard runs and dates.
    # zxcvbn refuses more than 72 characters; a longer password's first 72 decide its score.
    verdict = zxcvbn(
        password[:ZXCVBN_MAX_LENGTH], user_inputs=[email, email.split("@")[0], name, "rectrack"]
    )
    if verdict["score"] < 3:
        warning = verdict["feedback"].get("warning") or "this one is too easy to guess"
        warning = warning.rstrip(".")
        return [password_rule(warning[0].lower() + warning[1:])]
    return []


# How the person proved who they are (RFC 8176): a password, and maybe a one-time code.
PASSWORD_ONLY, WITH_SECOND_FACTOR = ["pwd"], ["pwd", "otp"]


def _signing_key(settings: Settings) -> bytes:
    return derived_key(settings, "login tokens")


def issue_access_token(
    user_id: uuid.UUID, session_version: int, settings: Settings, *, second_factor: bool = False
) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "sub": str(user_id),
        "sv": session_version,
        "iat": now,
        "exp": now + dt.timedelta(minutes=settings.access_token_minutes),
        "typ": "access",
        "amr": WITH_SECOND_FACTOR if second_factor else PASSWORD_ONLY,
    }
    return jwt.encode(claims, _signing_key(settings), algorithm=_JWT_ALGORITHM)


def decode_access_token(token: str, settings: Settings) -> dict[str, Any] | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            _signing_key(settings),
            algorithms=[_JWT_ALGORITHM],
            options={"require": ["sub", "exp", "iat", "sv"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == "access" else None


def used_second_factor(claims: dict[str, Any]) -> bool:
    methods = claims.get("amr")
    return isinstance(methods, list) and "otp" in methods


@dataclass(frozen=True)
class NewApiToken:
    secret: str
    lookup_prefix: str
    secret_hash: str


def new_api_token() -> NewApiToken:
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewApiToken(secret, secret[:_LOOKUP_LENGTH], hash_token(secret))


def hash_token(secret: str) -> str:
    # API and reset tokens have 256 bits of entropy: a fast hash is enough, unlike for passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_reset_token() -> tuple[str, str]:
    """A password-reset token (256 bits) and the hash that is kept of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def api_token_lookup_prefix(secret: str) -> str | None:
    if not secret.startswith(API_TOKEN_PREFIX) or len(secret) <= _LOOKUP_LENGTH:
        return None
    return secret[:_LOOKUP_LENGTH]


def same_secret(expected_hash: str, presented: str) -> bool:
    return secrets.compare_digest(expected_hash, hash_token(presented))
