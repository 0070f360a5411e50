"""`rectrack suggest rebuild` builds the indexes that GET …/suggestions and …/similar read."""

import asyncio
import secrets

import pytest
from click.testing import CliRunner
from httpx import AsyncClient

from app.cli import main
from app.config import get_settings
from tests.recommendations.factories import create_recommendation
from tests.suggestions.test_suggestions import CORPUS


async def test_rebuild_from_the_command_line(
    client: AsyncClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for code, texts in CORPUS.items():
        for text in texts:
            await create_recommendation(client, text={"en": text}, sdg_targets=[code])
    rec = await create_recommendation(
        client, text={"en": "Guarantee freedom of expression for journalists"}
    )
    assert (await client.get(f"/recommendations/{rec['id']}/suggestions")).json()[
        "sdg_targets"
    ] == []
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_SECRET_KEY", secrets.token_hex(32))
    get_settings.cache_clear()
    try:
        result = await asyncio.to_thread(CliRunner().invoke, main, ["suggest", "rebuild"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "suggestion index rebuilt: en=9 in" in result.output  # the tagged ones only
    assert "near-duplicate index rebuilt: 10 recommendations in" in result.output
    suggested = (await client.get(f"/recommendations/{rec['id']}/suggestions")).json()
    assert suggested["sdg_targets"][0]["code"] == "16.10"
