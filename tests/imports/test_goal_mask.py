"""Imports write Recommendation.sdg_goal_mask with the goal links, on creation and update, and the
SDG tally follows (the import writes by COPY on PostgreSQL, which fires the tally's triggers)."""

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload
from tests.recommendations.denormalized import stored_and_linked_masks as _masks
from tests.recommendations.denormalized import tally_beside_recount


async def test_mask_follows_imported_tags_on_creation_and_update(
    app: FastAPI, client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    created = await _masks(app)
    assert len(created) == 4
    assert any(stored for stored, _ in created.values())
    assert all(stored == linked for stored, linked in created.values())
    tally, recount = await tally_beside_recount(app)
    assert tally == recount
    assert tally

    changed = uhri.english()
    changed[0]["Sdgs"] = ["5.2 - End all violence against and exploitation of women"]
    job = await upload(uhri.write_json(tmp_path / "v2-en.json", changed))
    assert job["counts"]["updated"] == 1
    updated = await _masks(app)
    assert updated != created
    assert all(stored == linked for stored, linked in updated.values())
    tally, recount = await tally_beside_recount(app)
    assert tally == recount
