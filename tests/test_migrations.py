"""The models and the migrations describe the same schema, and migrations run both ways."""

from alembic import command
from alembic.util.exc import CommandError

from app.migrations import alembic_config


def test_models_match_migrations(database_url: str) -> None:
    try:
        command.check(alembic_config(database_url))
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"models and migrations differ: {exc}") from exc


def test_downgrade_and_upgrade_again(tmp_path: object) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/roundtrip.db"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    command.upgrade(config, "head")
