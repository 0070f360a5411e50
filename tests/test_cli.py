"""The `rectrack` command line on a fresh SQLite file."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import get_settings


@pytest.fixture
def fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("RECTRACK_DATABASE_URL", url)
    get_settings.cache_clear()
    return url


def test_db_upgrade_then_seed_twice(fresh_database: str) -> None:
    runner = CliRunner()
    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    first = runner.invoke(main, ["seed"])
    assert first.exit_code == 0, first.output
    assert "sdg_goal=17 sdg_target=169" in first.output
    again = runner.invoke(main, ["seed"])
    assert again.exit_code == 0
    assert again.output.strip().endswith("affected_person=0")
    assert "sdg_goal=0 sdg_target=0 mechanism=0 country=0 theme=0" in again.output
    retallied = runner.invoke(main, ["db", "retally"])
    assert retallied.exit_code == 0, retallied.output
    assert retallied.output.strip() == "SDG tally recounted: 0 rows"
    get_settings.cache_clear()


def test_openapi_prints_the_document() -> None:
    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0
    assert '"openapi"' in result.output
