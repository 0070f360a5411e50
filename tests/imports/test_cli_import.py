"""`rectrack import` run as a command, on a fresh database of each backend."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from app.cli import main
from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import create_engine
from app.models.audit import AuditRecord
from tests.imports import uhri_files as uhri


def _rectrack(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    env = {"RECTRACK_DATABASE_URL": db, "PATH": "/usr/bin:/bin"}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, check=False,
    )  # fmt: skip


def test_import_command_prints_the_counts_last(tmp_path: Path, empty_database_url: str) -> None:
    db = empty_database_url
    assert _rectrack("db", "upgrade", db=db).returncode == 0
    assert _rectrack("seed", db=db).returncode == 0
    english = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    french = uhri.write_json(tmp_path / "export-full-fr.json", uhri.translated("fr"))

    dry = _rectrack("import", str(english), "--dry-run", db=db)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().splitlines()[-1] == (
        "created=4 updated=0 unchanged=0 skipped=0 invalid=1"
    )
    first = _rectrack("import", str(english), "--country", "ken", db=db)
    assert first.stdout.strip().splitlines()[-1] == (
        "created=1 updated=0 unchanged=0 skipped=3 invalid=1"
    )
    assert "record 4: Countries: unknown country: 'Atlantis' (error)" in first.stderr
    both = _rectrack("import", str(english), str(french), db=db)
    lines = both.stdout.strip().splitlines()
    assert lines == [
        "created=3 updated=0 unchanged=1 skipped=0 invalid=1",
        "created=0 updated=4 unchanged=0 skipped=0 invalid=0",
    ]
    assert english.exists()  # the CLI reads the file where it is and leaves it there


def test_import_command_fails_clearly_on_a_bad_file(
    tmp_path: Path, empty_database_url: str
) -> None:
    db = empty_database_url
    assert _rectrack("db", "upgrade", db=db).returncode == 0
    bad = tmp_path / "broken.json"
    bad.write_text('[{"AnnotationId": "x", "Text": "1. a"', encoding="utf-8")
    result = _rectrack("import", str(bad), db=db)
    assert result.returncode == 1
    assert "truncated" in result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "created=0 updated=0 unchanged=0 skipped=0 invalid=0"
    )
    not_export = tmp_path / "notes.txt"
    not_export.write_text("hello", encoding="utf-8")
    refused = _rectrack("import", str(not_export), db=db)
    assert refused.returncode != 0
    assert "Not a UHRI export" in refused.stderr


def test_every_entry_of_a_cli_import_names_the_cli_and_the_os_user(
    tmp_path: Path, empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("LOGNAME", "amina")  # getpass.getuser() reads it first
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
        assert runner.invoke(main, ["seed"]).exit_code == 0
        english = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
        french = uhri.write_json(tmp_path / "export-full-fr.json", uhri.translated("fr"))
        for path in (english, french):
            result = runner.invoke(main, ["import", str(path)])
            assert result.exit_code == 0, result.output
        assert result.output.strip().splitlines()[-1].startswith("created=0 updated=4")
        entries = asyncio.run(_audit_entries(get_settings()))
    finally:
        get_settings.cache_clear()
    updates = [label for action, label in entries if action == "import_update"]
    assert len(updates) == 4
    assert {label for _, label in entries} == {"cli (amina)"}
    assert {action for action, _ in entries} == {"import", "import_update"}


async def _audit_entries(settings: Settings) -> list[tuple[str, str]]:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(select(AuditRecord.action, AuditRecord.actor_label))
            return [(action, label) for action, label in rows.all()]
    finally:
        await engine.dispose()
