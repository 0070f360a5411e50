"""Imports keep the near-duplicate index current: new records are indexed with their batch, a
changed text is indexed again."""

import uuid
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import func, select

from app.models.similarity import SimilaritySignature
from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload
from tests.recommendations.factories import create_recommendation


async def _indexed(app: FastAPI) -> dict[str, int]:
    async with app.state.sessionmaker() as session:
        signatures = await session.scalar(select(func.count()).select_from(SimilaritySignature))
    return {"signatures": int(signatures or 0)}


async def test_imported_records_are_found(
    app: FastAPI,
    client: AsyncClient,
    upload: Upload,
    tmp_path: Path,
) -> None:
    await upload(uhri.write_json(tmp_path / "export-en.json", uhri.english()))
    assert (await _indexed(app))["signatures"] == 4
    # A national recommendation to Kenya asking the same thing, in other words.
    national = await create_recommendation(
        client, countries=["KEN"],
        text={"en": "Repeal the laws that restrict freedom of expression and assembly."},
    )  # fmt: skip
    found = (await client.get(f"/recommendations/{national['id']}/similar")).json()
    assert len(found) == 1
    kenya = uuid.UUID(found[0]["id"])
    # The French file adds a text: the record is indexed again, now in two languages.
    await upload(uhri.write_json(tmp_path / "export-fr.json", uhri.translated("fr")))
    async with app.state.sessionmaker() as session:
        languages = set((await session.scalars(
            select(SimilaritySignature.language)
            .where(SimilaritySignature.recommendation_id == kenya)
        )).all())  # fmt: skip
    assert languages == {"en", "fr"}
