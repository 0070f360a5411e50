"""An import leaves no entries waiting in the search index's pending list (PostgreSQL).

Imports let the GIN pending list grow to 64 MB for speed (app/imports/bulk.py); searches scan
whatever is pending, so the import merges it when done.
"""

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload


async def _pending_search_entries(app: FastAPI) -> int:
    async with app.state.sessionmaker() as session, session.begin():
        row = await session.execute(
            text(
                "SELECT pending_tuples FROM "
                "pgstatginindex('ix_recommendation_search_document_trgm')"
            )
        )
        return int(row.scalar_one())


async def test_an_import_merges_the_search_entries_it_left_pending(
    app: FastAPI, upload: Upload, tmp_path: Path
) -> None:
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("GIN pending lists are PostgreSQL's")
    try:
        async with app.state.engine.begin() as connection:
            await connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
    except DBAPIError as exc:
        pytest.skip(f"pgstattuple, which reads the pending list, is not available: {exc}")
    job = await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    assert job["status"] == "succeeded"
    assert job["counts"]["created"] > 0
    assert await _pending_search_entries(app) == 0

    again = await upload(uhri.write_json(tmp_path / "export-fr.json", uhri.translated("fr")))
    assert again["counts"]["updated"] > 0
    assert await _pending_search_entries(app) == 0
