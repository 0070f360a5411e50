"""A heading ending in a digit glued to the paragraph number: decided by the evidence, or warned."""

from pathlib import Path
from typing import Any

from httpx import AsyncClient

from app.imports import parsing
from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload

JPN = "CERD/C/JPN/CO/10-11"
DOUBTFUL = "Reservation to article 412. Recalling its general recommendation No. 15 (1993)"


def _cerd(
    number: int, text: str, symbol: str = JPN, lang_text: str | None = None
) -> dict[str, Any]:
    return uhri._record(
        AnnotationId=f"0a9b8c7d-0000-4000-8000-{number:012d}", Symbol=symbol,
        Body="- Committee on the Elimination of Racial Discrimination", Countries=["Japan"],
        PublicationDate="2018-09-26T00:00:00", Text=text,
    )  # fmt: skip


def test_the_readings_of_a_number_a_heading_may_be_glued_to() -> None:
    assert parsing.paragraph_readings(DOUBTFUL) == ("412", "12", "2")
    assert parsing.paragraph_readings("Reservation to article 410. Recalling") == ("410", "10")
    assert parsing.paragraph_readings("Nationality laws32. The Committee") == ()
    assert parsing.paragraph_readings("4. The Committee recommends") == ()
    assert parsing.paragraph_readings("مكافحة التطرف\n30 - إن اللجنة") == ()


async def _paragraphs(client: AsyncClient) -> dict[str, str]:
    items = (await client.get("/recommendations", params={"limit": 100})).json()["items"]
    return {item["uhri_id"][-3:]: item["paragraph"] for item in items}


async def test_the_neighbouring_paragraphs_decide(
    tmp_path: Path, upload: Upload, client: AsyncClient
) -> None:
    records = [
        _cerd(11, "11. The Committee notes the efforts"),
        _cerd(12, DOUBTFUL),
        _cerd(13, "13. The Committee recommends"),
        _cerd(14, DOUBTFUL, symbol="CERD/C/XYZ/CO/1"),  # no neighbour: undecided
    ]
    job = await upload(uhri.write_json(tmp_path / "export-full-en.json", records))
    assert job["status"] == "succeeded", job
    paragraphs = await _paragraphs(client)
    assert paragraphs["012"] == "12"
    assert paragraphs["014"] == "412"
    warnings = [e for e in job["errors"] if e["severity"] == "warning"]
    assert [(e["index"], e["field"]) for e in warnings] == [(3, "Text")]
    assert "412, 12 or 2" in warnings[0]["message"]


async def test_another_language_s_number_decides(
    tmp_path: Path, upload: Upload, client: AsyncClient
) -> None:
    french = [_cerd(21, "12. Rappelant sa recommandation générale no 15 (1993)")]
    await upload(uhri.write_json(tmp_path / "export-full-fr.json", french))
    job = await upload(uhri.write_json(tmp_path / "export-full-en.json", [_cerd(21, DOUBTFUL)]))
    assert not [e for e in job["errors"] if e["severity"] == "warning"], job["errors"]
    assert (await _paragraphs(client))["021"] == "12"
