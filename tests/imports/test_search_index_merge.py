"""Imports let the search index's GIN pending list grow within each batch (PostgreSQL), merge it
when they end, and never fail for want of merging it (app/imports/bulk.py)."""

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.imports import service
from app.imports.bulk import prepare_bulk_transaction
from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload

MERGE = "SELECT gin_clean_pending_list('ix_recommendation_search_document_trgm'::regclass)"
# GIN pending lists are PostgreSQL's: these tests are collected for that backend alone.
postgresql_only = pytest.mark.only_on("postgresql")


async def _pending_pages_merged_now(app: FastAPI) -> int:
    """Merges what is pending and says how many pages that was."""
    async with app.state.sessionmaker() as session, session.begin():
        return int((await session.execute(text(MERGE))).scalar_one())


@postgresql_only
async def test_an_import_merges_the_search_entries_it_left_pending(
    app: FastAPI, upload: Upload, tmp_path: Path
) -> None:
    job = await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    assert job["counts"]["created"] > 0
    assert await _pending_pages_merged_now(app) == 0

    again = await upload(uhri.write_json(tmp_path / "export-fr.json", uhri.translated("fr")))
    assert again["counts"]["updated"] > 0
    assert await _pending_pages_merged_now(app) == 0


@postgresql_only
async def test_the_larger_pending_list_lasts_as_long_as_the_batch_transaction(app: FastAPI) -> None:
    show = "SELECT current_setting('gin_pending_list_limit'), current_setting('work_mem')"
    async with app.state.sessionmaker() as session, session.begin():
        default = (await session.execute(text(show))).one()
        await prepare_bulk_transaction(session)
        assert tuple((await session.execute(text(show))).one()) == ("64MB", "64MB")
    async with app.state.sessionmaker() as session, session.begin():
        assert (await session.execute(text(show))).one() == default


async def test_a_failed_merge_leaves_the_import_succeeded(
    upload: Upload,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def refused(*_: object) -> None:
        raise OperationalError("gin_clean_pending_list", {}, Exception("canceled"))

    monkeypatch.setattr(service, "merge_pending_search_entries", refused)
    job = await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    assert job["status"] == "succeeded"
    assert job["counts"]["created"] > 0
    assert "left pending for autovacuum" in caplog.text
