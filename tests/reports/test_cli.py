"""`rectrack report` writes the file the API answers with."""

import asyncio
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi import FastAPI
from httpx import AsyncClient

from app.cli import main
from app.config import get_settings
from tests.reports.readers import docx_outline, html_outline
from tests.reports.scenario import UNVALIDATED, Scenario, make_scenario


async def _invoke(args: list[str]) -> Result:
    # The command runs its own event loop: give it a thread of its own.
    return await asyncio.to_thread(CliRunner().invoke, main, ["report", *args])


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    return database_url


async def test_the_cli_writes_what_the_api_answers(
    app: FastAPI, client: AsyncClient, cli_database: str, tmp_path: Path
) -> None:
    scenario: Scenario = await make_scenario(app, client)
    assert scenario["U1"]
    target = tmp_path / "midterm.docx"
    args = ["--kind", "upr_midterm", "--country", "ken", "--cycle", "3", "--lang", "fr"]
    result = await _invoke([*args, "--output", str(target)])
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {target}")
    api = await client.post(
        "/reports", json={"kind": "upr_midterm", "country": "KEN", "cycle": 3, "lang": "fr"}
    )
    assert docx_outline(target.read_bytes()) == docx_outline(api.content)
    printed = await _invoke([*args, "--format", "html", "--output", "-"])
    assert printed.exit_code == 0, printed.output
    outline, _, attrs, _ = html_outline(printed.stdout_bytes)
    assert attrs["lang"] == "fr"
    assert outline[0][2].startswith("Examen périodique universel")
    for secret in UNVALIDATED:
        assert secret not in printed.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "upr_midterm", "--country", "KEN"], "needs `cycle`"),
        (["--kind", "upr_midterm", "--country", "XXX", "--cycle", "1"], "unknown country: XXX"),
        (["--kind", "treaty_followup", "--country", "KEN", "--symbol", "X", "--mechanism", "UPR"],
         "not about the UPR"),
        (["--kind", "annual", "--country", "KEN"], "Invalid value for '--kind'"),
    ],
)  # fmt: skip
async def test_bad_options_exit_with_a_message(
    cli_database: str, tmp_path: Path, args: list[str], message: str
) -> None:
    result = await _invoke([*args, "--output", str(tmp_path / "x.docx")])
    get_settings.cache_clear()
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "x.docx").exists()
