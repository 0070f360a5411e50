"""`rectrack export`: the same files as the API, to a file or standard output."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi import FastAPI
from httpx import AsyncClient

from app.cli import main
from app.config import get_settings
from tests.exports.files import read_csv, read_ndjson, read_xlsx
from tests.planning.factories import plan_action, report, validated
from tests.recommendations.factories import create_recommendation


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


async def _rectrack(*args: str) -> Result:
    # The command runs its own event loop: in a thread, beside the test's.
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_cli_writes_what_the_api_serves(
    app: FastAPI, client: AsyncClient, cli_database: str, tmp_path: Path
) -> None:
    await create_recommendation(client, countries=["UGA"], text={"en": "=1+1", "fr": "Texte"})
    kenya = await create_recommendation(client, sdg_goals=[16])
    await plan_action(client, [kenya["id"]], title="-Draft")
    await report(client, kenya["id"], "in_progress")
    await validated(client, kenya["id"], "implemented")
    for fmt in ("csv", "xlsx", "ndjson"):
        target = tmp_path / f"out.{fmt}"
        args = ["--format", fmt, "--lang", "fr", "--country", "UGA", "--country", "KEN"]
        done = await _rectrack("export", "recommendations", *args, "--output", str(target))
        assert done.exit_code == 0, done.output
        served = await client.get(
            "/recommendations/export",
            params={"format": fmt, "lang": "fr", "country": ["UGA", "KEN"]},
        )
        if fmt == "xlsx":  # the zip's timestamps differ; the cells must not
            assert read_xlsx(target.read_bytes()) == read_xlsx(served.content)
        else:
            assert target.read_bytes() == served.content
    to_stdout = await _rectrack(
        "export", "recommendations", "--format", "ndjson", "--sdg-goal", "16"
    )
    assert to_stdout.exit_code == 0, to_stdout.output
    assert [r["symbol"] for r in read_ndjson(to_stdout.stdout_bytes)] == [kenya["symbol"]]
    actions = await _rectrack("export", "actions", "--status", "planned")
    _, rows = read_csv(actions.stdout_bytes)
    assert [r["title"] for r in rows] == ["'-Draft"]
    everyone = await _rectrack("export", "progress-updates", "--format", "ndjson")
    public = await _rectrack("export", "progress-updates", "--format", "ndjson", "--public")
    assert len(read_ndjson(everyone.stdout_bytes)) == 2
    [shown] = read_ndjson(public.stdout_bytes)
    assert shown["state"] == "validated"
    assert shown["author_id"] is None


async def test_cli_refuses_bad_values_and_writes_nothing(
    app: FastAPI, cli_database: str, tmp_path: Path
) -> None:
    target = tmp_path / "out.csv"
    for args, named in [
        (["--country", "XXX"], "--country"),
        (["--sdg-goal", "99"], "--sdg-goal"),
        (["--follow-up", "perhaps"], "--follow-up"),
        (["--format", "pdf"], "--format"),
        (["--lang", "xx"], "--lang"),
    ]:
        refused = await _rectrack("export", "recommendations", *args, "-o", str(target))
        assert refused.exit_code == 2, refused.output
        assert named in refused.output
        assert not target.exists()
