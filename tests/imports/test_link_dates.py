"""Imports write each country link's copy of the publication date, and follow a changed date."""

from pathlib import Path

from fastapi import FastAPI

from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload
from tests.recommendations.denormalized import link_dates as _link_dates


async def test_imports_write_the_date_on_links_and_follow_a_changed_one(
    app: FastAPI, upload: Upload, tmp_path: Path
) -> None:
    await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    created = await _link_dates(app)
    assert created
    assert all(own == copied for _, own, copied in created)

    changed = uhri.english()
    changed[0]["PublicationDate"] = "2001-02-03T00:00:00"
    job = await upload(uhri.write_json(tmp_path / "v2-en.json", changed))
    assert job["counts"]["updated"] == 1
    updated = await _link_dates(app)
    assert "2001-02-03" in {own for _, own, _ in updated}
    assert all(own == copied for _, own, copied in updated)
