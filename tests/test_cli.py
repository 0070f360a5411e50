"""The `rectrack` command line on a fresh database of each backend."""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import make_url

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


def _elsewhere(url: str, **parts: Any) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


def _one_line(runner_result: Result) -> str:
    assert runner_result.exit_code == 1, runner_result.output
    assert "Traceback" not in runner_result.output
    [line] = runner_result.output.strip().splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize("command", [["db", "upgrade"], ["seed"], ["db", "retally"]])
def test_a_database_out_of_reach_is_one_line_naming_it(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    url = empty_database_url
    if make_url(url).get_backend_name() == "sqlite":
        missing = f"sqlite+aiosqlite:///{make_url(url).database}.d/nowhere/x.db"
        cases = {missing: ["Cannot open the SQLite database", "nowhere/x.db", "directory exists"]}
    else:
        # A role that does not exist, with a password that must never be shown.
        no_role = _elsewhere(url, username="nobody_here", password="s3cret-pass")
        no_database = _elsewhere(url, database="rectrack_absent")
        refused = _elsewhere(url, host="127.0.0.1", port=1)
        cases = {
            no_role: ["refused user nobody_here", 'role "nobody_here" does not exist', "README"],
            no_database: ['database "rectrack_absent" does not exist', "Create it", "README"],
            refused: ["Cannot connect to PostgreSQL at 127.0.0.1:1/", "running and listening"],
        }
    runner = CliRunner()
    for broken, expected in cases.items():
        monkeypatch.setenv("RECTRACK_DATABASE_URL", broken)
        get_settings.cache_clear()
        line = _one_line(runner.invoke(main, command))
        for words in expected:
            assert words in line
        assert "s3cret-pass" not in line
        if "SQLite" in line:
            continue  # refused before anything runs: there is no traceback to show
        assert "--debug" in line
        debugged = runner.invoke(main, ["--debug", *command])
        assert debugged.exit_code == 1
        assert debugged.exception is not None
        assert not isinstance(debugged.exception, SystemExit)
    get_settings.cache_clear()
