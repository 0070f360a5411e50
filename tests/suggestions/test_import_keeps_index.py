"""An import adds its records to the suggestion index without a rebuild."""

from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient

from app.imports.worker import ImportWorker
from tests.imports import uhri_files as uhri
from tests.suggestions.test_suggestions import _corpus

VILLAGES = "Provide clean drinking water to the rural villages of the north"


async def test_an_imported_record_is_a_neighbour_at_once(
    app: FastAPI, client: AsyncClient, tmp_path: Path
) -> None:
    await _corpus(app, client)  # builds the index
    record = uhri._record(
        AnnotationId="0a9b8c7d-0000-4000-8000-0000000000aa", Body="- UPR", Countries=["Kenya"],
        Symbol="A/HRC/34/8", PublicationDate="2016-12-28T00:00:00", UprPositions=["Noted"],
        Text=f"132.7 {VILLAGES} (Norway);", Sdgs=["6.4 - Increase water-use efficiency"],
    )  # fmt: skip
    path = uhri.write_json(tmp_path / "export-full-en.json", [record])
    with path.open("rb") as handle:
        queued = await client.post("/imports", files={"file": (path.name, handle)})
    assert queued.status_code == 202, queued.text
    assert await ImportWorker(app.state.sessionmaker).run_pending() == 1
    imported = (await client.get("/recommendations", params={"q": "rural villages"})).json()
    (imported_id,) = [item["id"] for item in imported["items"]]

    new = await client.post(
        "/recommendations",
        json={"symbol": "X/1", "type": "recommendation", "mechanism": "CRC",
              "countries": ["KEN"], "text": {"en": VILLAGES}, "publication_date": "2020-01-01"},
    )  # fmt: skip
    assert new.status_code == 201, new.text
    suggested = (await client.get(f"/recommendations/{new.json()['id']}/suggestions")).json()
    first = suggested["sdg_targets"][0]
    assert first["code"] == "6.4"
    assert imported_id in {r["recommendation_id"] for r in first["because"]}
