"""The `rectrack` command line on a fresh database of each backend."""

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import PROJECT_ROOT, get_settings


@pytest.fixture
def fresh_database(empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    yield empty_database_url
    get_settings.cache_clear()


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


def test_openapi_prints_the_document_kept_in_the_repository() -> None:
    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    kept = json.loads((PROJECT_ROOT / "schemas" / "openapi.json").read_text("utf-8"))
    assert printed == kept
    assert printed["info"]["title"] == "rectrack"
    assert "post" in printed["paths"]["/api/v1/recommendations"]


@pytest.mark.parametrize("password", ["short", "password1234"])
def test_create_user_refuses_a_password_in_one_sentence(fresh_database: str, password: str) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(
        main,
        ["create-user", "--email", "a@example.org", "--role", "admin", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("Error: A password needs at least 12 characters, and not easy to guess")
    assert "validation error" not in result.output
