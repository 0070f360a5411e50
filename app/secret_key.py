"""The signing key: given by the operator, or generated on first run and kept beside the data.

There is no built-in key. Without RECTRACK_SECRET_KEY the key is read from `secret_key` in the
data directory; in development and test, a missing file is created with a fresh random key
(mode 0600). Two processes starting at once agree: each writes its candidate to a private
temporary file and hard-links it into place, which succeeds for one of them only, and both
then read the one that won.
"""

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
import tempfile
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy.engine import make_url

from app.config import HOW_TO_MAKE_A_KEY, Settings, weak_key_reason

KEY_FILE_NAME = "secret_key"


class SecretKeyError(RuntimeError):
    """The service cannot start: no usable signing key. The message is one line."""


def data_dir(settings: Settings) -> Path:
    if settings.data_dir is not None:
        return settings.data_dir
    if settings.is_sqlite:
        database = make_url(settings.database_url).database
        if database and database != ":memory:":
            return Path(database).resolve().parent
    return Path.cwd()


def _is_in_memory(settings: Settings) -> bool:
    return settings.is_sqlite and make_url(settings.database_url).database in (None, "", ":memory:")


def _read(path: Path) -> str:
    """The key in `path`, if only the service's user could have put it there and can read it.
    Opened without following a symlink, and checked on the file opened (no swap in between):
    a link could point the service at a key another user chose."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if path.is_symlink():
            raise SecretKeyError(
                f"{path} is a symbolic link; put the key file itself there (`cp --remove-"
                f'destination "$(readlink -f {path})" {path}`, then `chmod 600 {path}`)'
            ) from exc
        raise
    with os.fdopen(handle, encoding="utf-8") as file:
        info = os.fstat(file.fileno())
        if info.st_uid != os.geteuid():
            raise SecretKeyError(
                f"{path} belongs to another user (uid {info.st_uid}, the service runs as "
                f"{os.geteuid()}); run `chown {os.geteuid()} {path}` as root, or make a new key"
            )
        mode = info.st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretKeyError(
                f"{path} may be read by other users (mode {stat.S_IMODE(mode):o}); "
                f"run `chmod 600 {path}`"
            )
        key = file.read().strip()
    if reason := weak_key_reason(key):
        raise SecretKeyError(f"the key in {path} is too weak: {reason}; {HOW_TO_MAKE_A_KEY}")
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, readable by this user only.
    handle, candidate = tempfile.mkstemp(dir=path.parent, prefix=f".{KEY_FILE_NAME}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        # Fails if another process was first: its key is then the one.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        os.unlink(candidate)


def with_secret_key(settings: Settings) -> Settings:
    """The settings with their signing key filled in, or SecretKeyError."""
    if settings.secret_key is not None:
        return settings
    if _is_in_memory(settings):
        # Nothing outlives the process, so neither need the key (schema export, tests).
        return settings.model_copy(update={"secret_key": SecretStr(secrets.token_hex(32))})
    path = data_dir(settings) / KEY_FILE_NAME
    try:
        if not path.exists():
            if settings.environment == "production":
                raise SecretKeyError(
                    f"RECTRACK_SECRET_KEY is not set and there is no {path}: in production the "
                    f"key is never generated; {HOW_TO_MAKE_A_KEY}"
                )
            _create(path)
        key = _read(path)
    except OSError as exc:
        raise SecretKeyError(
            f"cannot keep a signing key in {path} ({exc.strerror}); set RECTRACK_SECRET_KEY "
            f"or RECTRACK_DATA_DIR; {HOW_TO_MAKE_A_KEY}"
        ) from exc
    return settings.model_copy(update={"secret_key": SecretStr(key)})


def derived_key(settings: Settings, purpose: str) -> bytes:
    """A key for one purpose (signing tokens, encrypting second factors), derived from the one
    secret so that a key used for one purpose says nothing about another (HKDF-Expand with a
    single block is this HMAC)."""
    assert settings.secret_key is not None, "with_secret_key() runs at start-up"
    master = settings.secret_key.get_secret_value().encode()
    return hmac.new(master, f"rectrack {purpose}".encode() + b"\x01", hashlib.sha256).digest()
