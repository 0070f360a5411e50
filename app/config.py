"""All configuration, read from the environment with the RECTRACK_ prefix."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from zxcvbn import zxcvbn

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIN_SECRET_KEY_LENGTH = 32
# zxcvbn's estimate of the guesses a key needs, as a power of ten: 10^28 is about 93 bits. A
# random key of 32 hex characters scores about 31; a phrase of common words far less.
_MIN_SECRET_KEY_GUESSES_LOG10 = 28
HOW_TO_MAKE_A_KEY = (
    "make one with `openssl rand -hex 32` or "
    "`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
)


# What sample configurations put where a key belongs. A random key holds none of them (a
# six-letter run from a 64-character alphabet turns up about once in 10^9 keys).
_PLACEHOLDERS = (
    "changeme", "secret", "placeholder", "replace", "example", "default", "insecure", "yourkey",
    "password", "notsafe", "dontuse", "donotuse", "sample",
)  # fmt: skip
# A phrase: more than this share of the key is dictionary words of four letters or more.
_MAX_SHARE_IN_WORDS = 0.5


def weak_key_reason(key: str) -> str | None:
    """Why a signing key is too weak to use, or None."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_SECRET_KEY_LENGTH}"
    letters = "".join(c for c in key.lower() if c.isalnum())
    if found := next((p for p in _PLACEHOLDERS if p in letters), None):
        return f"it looks like a placeholder (it contains {found!r}), not a random key"
    # zxcvbn sees repeats, keyboard runs, sequences and words; it reads at most 72 characters.
    # A long phrase of words scores well on guesses, yet is what people type, not random.
    verdict = zxcvbn(key[:72])
    in_words = sum(
        len(match["token"])
        for match in verdict["sequence"]
        if match["pattern"] == "dictionary" and len(match["token"]) >= 4
    )
    if in_words > _MAX_SHARE_IN_WORDS * min(len(key), 72):
        return "it is made of words, not random characters"
    if verdict["guesses_log10"] < _MIN_SECRET_KEY_GUESSES_LOG10:
        return "it is easy to guess (words, repeats or sequences)"
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTRACK_", env_file=".env", extra="ignore")

    # production: the signing key must be given (RECTRACK_SECRET_KEY or a key file in the data
    # directory); it is never generated, since a key generated inside a container or on one of
    # several hosts would differ between them and change on a rebuild. development and test
    # generate one on first run.
    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./rectrack.db"
    # Signs login tokens and encrypts second-factor secrets. No default: see app/secret_key.py.
    secret_key: SecretStr | None = None
    # Where a generated signing key is kept (file `secret_key`, mode 0600); by default the
    # SQLite file's directory, else the working directory.
    data_dir: Path | None = None
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    cors_origins: list[str] = []
    # Bodies larger than this are refused with 413 before they are parsed; uploads to
    # /imports may be larger: UHRI's largest export, the Russian one, is about 1.4 times the
    # English one (~360 MB), so ~505 MB (docs/import.md).
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 512 * 1024**2
    # Report renders and XLSX exports made at once by one process; more answer 503 (Retry-After).
    max_concurrent_documents: int = Field(default=2, ge=1)
    # Where uploaded files wait for their import job.
    import_dir: Path = Path("imports")
    # Evidence files, stored by their SHA-256 (docs/evidence.md); by default `files` in the
    # data directory (the SQLite file's directory, else the working directory).
    storage_dir: Path | None = None
    max_attachment_bytes: int = 25 * 1024**2
    # Files one progress update may carry: with the size limit, what one update can hold.
    max_attachments_per_update: int = Field(default=20, ge=1)
    # Webhooks (docs/webhooks.md): URLs whose addresses are loopback, private or link-local
    # are refused unless this is true (a test receiver on 127.0.0.1, a closed network).
    webhook_allow_private: bool = False
    # A worker's claim on a delivery lapses after this long (the worker died): another takes
    # it over. Longer than one attempt (10 s) with room to spare.
    webhook_lease_seconds: float = 60
    # Deliveries a worker sends at once.
    webhook_concurrency: int = 8
    # Near-duplicates (docs/duplicates.md): two texts whose shingle sets' Jaccard similarity
    # reaches this are near-duplicates. bench/duplicates_quality.py measured the default.
    duplicate_threshold: float = Field(default=0.5, gt=0, le=1)
    # Finished deliveries, their attempts and their events are kept this many days.
    webhook_log_days: int = Field(default=30, ge=1)
    # Notifications by email (docs/notifications.md): smtp://user:pass@host:587?starttls=true,
    # or smtps://… for TLS from the start; unset, no mail is sent (the worker says so once).
    smtp_url: SecretStr | None = None
    mail_from: str = "rectrack <rectrack@localhost>"
    # Where people reach the workspace: links in mails start with it.
    public_url: str = "http://localhost:8000"
    # A worker's claim on a mail or digest lapses after this long (the worker died).
    mail_lease_seconds: float = 120
    # Run queued imports and webhook deliveries inside the API process. With several API
    # processes, leave it on in all of them (claiming is safe) or turn it off and run
    # `rectrack worker` instead.
    import_worker: bool = True
    sql_echo: bool = False
    # The NMRF's time zone (IANA name): "today" for overdue actions and future-dated
    # measurements is the date there (DESIGN §7).
    timezone: str = "UTC"
    # The reverse proxies whose X-Forwarded-For names the client (`rectrack serve`): the login
    # limits count client addresses, so this must name the proxy exactly.
    forwarded_allow_ips: str = "127.0.0.1"
    # Login (bearer) tokens are short-lived; integrations use API tokens instead.
    access_token_minutes: int = 30
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    # At most this many password hashes at once, each in a thread (a hash takes
    # password_memory_kib of memory and a core for a while); a sign-in beyond it is answered
    # 503 at once rather than queued holding a database connection.
    password_hash_concurrency: int = Field(default=4, ge=1)
    # Failed logins (docs/security.md): a limit per account and client address and one per
    # client address, in login_window_minutes; and, past login_failures_per_account failures on
    # an account from anywhere in login_account_window_hours, a delay between its attempts
    # that doubles with each failure. An address the account signed in from within
    # login_known_address_days is spared the last two.
    login_window_minutes: int = 15
    login_failures_per_account_and_client: int = 10
    login_failures_per_client: int = 100
    login_account_window_hours: int = 24
    login_failures_per_account: int = 20
    login_max_delay_seconds: int = 300
    login_known_address_days: int = 30
    # Admins and coordinators must sign in with a second factor (TOTP).
    require_2fa: bool = False
    # How long an admin's password-reset token stays usable.
    password_reset_hours: int = 24
    # A workspace session (the pages' cookie) ends after this many hours without a request.
    session_idle_hours: float = 8
    # ... and after this many hours from signing in, however busy (a stolen cookie does not
    # live for ever by being used).
    session_max_hours: float = 24

    @field_validator("database_url")
    @classmethod
    def use_async_driver(cls, url: str) -> str:
        """Accept the URLs people paste (postgres://, sqlite:///) and pick the async driver."""
        for plain, async_scheme in (
            ("postgres://", "postgresql+asyncpg://"),
            ("postgresql://", "postgresql+asyncpg://"),
            ("sqlite://", "sqlite+aiosqlite://"),
        ):
            if url.startswith(plain):
                return async_scheme + url[len(plain) :]
        return url

    @field_validator("smtp_url")
    @classmethod
    def readable_smtp_url(cls, url: SecretStr | None) -> SecretStr | None:
        from app.notifications.smtp import smtp_server

        if url is not None:
            smtp_server(url.get_secret_value())
        return url

    @field_validator("public_url")
    @classmethod
    def no_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {name!r}; use an IANA name such as Pacific/Apia"
            ) from exc
        return name

    @field_validator("secret_key")
    @classmethod
    def refuse_weak_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None and (reason := weak_key_reason(key.get_secret_value())):
            raise ValueError(f"RECTRACK_SECRET_KEY is too weak: {reason}; {HOW_TO_MAKE_A_KEY}")
        return key

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def settings_problem(exc: ValidationError) -> str:
    """A settings error in one line, for the command line."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in first["loc"])
    return message if message.startswith("RECTRACK_") else f"RECTRACK_{where.upper()}: {message}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
