"""All configuration, read from the environment with the RECTRACK_ prefix."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-do-not-deploy"
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RECTRACK_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./rectrack.db"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    seeds_dir: Path = PROJECT_ROOT / "seeds"
    cors_origins: list[str] = []
    # Bodies larger than this are refused with 413 before they are parsed; uploads to
    # /imports may be larger: UHRI's largest export, the Russian one, is about 1.4 times the
    # English one (~360 MB), so ~505 MB (docs/import.md).
    max_body_bytes: int = 2 * 1024 * 1024
    max_upload_bytes: int = 512 * 1024**2
    # Where uploaded files wait for their import job.
    import_dir: Path = Path("imports")
    # Run queued imports inside the API process. With several API processes, leave it on in
    # all of them (claiming is safe) or turn it off and run `rectrack worker` instead.
    import_worker: bool = True
    sql_echo: bool = False
    # The NMRF's time zone (IANA name): "today" for overdue actions and future-dated
    # measurements is the date there (DESIGN §7).
    timezone: str = "UTC"
    # Login (bearer) tokens are short-lived; integrations use API tokens instead.
    access_token_minutes: int = 30
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    login_window_minutes: int = 15
    login_failures_per_account: int = 10
    login_failures_per_client: int = 50

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

    @model_validator(mode="after")
    def refuse_default_secret_outside_development(self) -> "Settings":
        secret = self.secret_key.get_secret_value()
        if self.environment != "development" and (secret == DEVELOPMENT_SECRET or len(secret) < 32):
            raise ValueError(
                "RECTRACK_SECRET_KEY must be set to a random value of at least 32 characters "
                f"when RECTRACK_ENVIRONMENT={self.environment}"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
