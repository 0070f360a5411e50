import json
import uuid
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete

from app.models import Base
from app.models.user import Role
from tests.conftest import ClientFactory
from tests.imports import uhri_files as uhri
from tests.imports.conftest import Upload
from tests.problems import assert_problem


async def _by_uhri_id(client: AsyncClient, uhri_id: str) -> dict[str, Any]:
    items = (await client.get("/recommendations", params={"uhri_id": uhri_id})).json()["items"]
    assert len(items) == 1, items
    found: dict[str, Any] = items[0]
    return found


async def _forget_recommendations(app: FastAPI) -> None:
    async with app.state.engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name.startswith(("recommend", "audit")):
                await connection.execute(delete(table))


def _facts(rec: dict[str, Any]) -> dict[str, Any]:
    keep = ("symbol", "type", "mechanism", "countries", "publication_date", "upr", "sdg_goals",
            "sdg_targets", "themes", "affected_persons")  # fmt: skip
    return {key: rec[key] for key in keep}


async def test_json_export_imports_every_quirk(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    job = await upload(uhri.write_json(tmp_path / "export-full-en.json", uhri.english()))
    assert job["status"] == "succeeded", job
    assert job["format"] == "json"
    assert job["lang"] == "en"
    assert job["total"] == job["processed"] == 5
    assert job["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 0, "invalid": 1}
    errors = [e for e in job["errors"] if e["severity"] == "error"]
    assert errors == [
        {"index": 4, "field": "Countries", "message": "unknown country: 'Atlantis'",
         "severity": "error"}
    ]  # fmt: skip

    upr = await _by_uhri_id(client, uhri.UPR_ID)
    assert upr["paragraph"] == "132.90"
    assert upr["countries"] == ["KEN"]
    assert upr["mechanism"]["code"] == "UPR"
    assert upr["upr"] == {"position": "noted", "recommending_states": ["New Zealand", "Norway"],
                          "cycle": 2, "session": None}  # fmt: skip
    assert upr["sdg_goals"] == [16]
    assert upr["sdg_targets"] == ["16.10"]
    assert upr["text"]["en"].startswith("132.90 Repeal laws")
    assert "&amp;" not in upr["text"]["en"]
    assert [t["name"] for t in upr["themes"]] == [
        "Freedom of opinion and expression & access to information"
    ]
    assert [g["name"] for g in upr["affected_persons"]] == ["Journalists (brand new label)"]

    crc = await _by_uhri_id(client, uhri.CRC_ID)
    assert crc["mechanism"]["code"] == "CRC"
    assert crc["type"] == "concern"
    assert crc["countries"] == ["PAK"]
    assert crc["paragraph"] == "4"
    assert crc["sdg_goals"] == [5, 16]
    assert crc["sdg_targets"] == ["5.b", "16.9"]
    assert "<b>" not in crc["text"]["en"]
    assert crc["upr"]["position"] is None

    sr = await _by_uhri_id(client, uhri.SR_ID)
    assert sr["mechanism"]["type"] == "special_procedure"
    assert sr["type"] == "other"
    assert sr["paragraph"] == "12(b)"
    assert sr["countries"] == []
    mandate = await client.get(f"/mechanisms/{sr['mechanism']['code']}")
    assert mandate.status_code == 200

    pse = await _by_uhri_id(client, uhri.PSE_ID)
    assert pse["countries"] == ["PSE"]
    assert pse["paragraph"] == "106.33"
    assert pse["upr"]["session"] == 34
    assert pse["upr"]["cycle"] == 3
    assert pse["upr"]["recommending_states"] == ["Türkiye"]


async def test_importing_the_same_file_again_changes_nothing(
    client: AsyncClient, admin: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    path = uhri.write_json(tmp_path / "export-full-en.json", uhri.english())
    await upload(path)
    before = (await client.get("/recommendations")).json()["items"]
    trail = (await admin.get("/audit", params={"include_total": "true"})).json()["total"]
    again = await upload(path)
    assert again["counts"] == {
        "created": 0,
        "updated": 0,
        "unchanged": 4,
        "skipped": 0,
        "invalid": 1,
    }
    assert (await client.get("/recommendations")).json()["items"] == before
    # Only the job's own record is added to the trail.
    after = (await admin.get("/audit", params={"include_total": "true"})).json()["total"]
    assert after == trail + 1


async def test_a_changed_record_is_updated_audited_and_keeps_the_nmrf_work(
    client: AsyncClient, admin: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    await upload(uhri.write_json(tmp_path / "export-full-en.json", uhri.english()))
    upr = await _by_uhri_id(client, uhri.UPR_ID)
    prioritised = await client.patch(
        f"/recommendations/{upr['id']}", json={"priority": "high"},
        headers={"If-Match": f'"{upr["version"]}"'},
    )  # fmt: skip
    assert prioritised.status_code == 200
    changed = uhri.english()
    changed[0]["UprPositions"] = ["Supported"]
    changed[0]["Sdgs"] = ["5.2 - End all violence against and exploitation of women"]
    job = await upload(uhri.write_json(tmp_path / "v2-en.json", changed))
    assert job["counts"]["updated"] == 1
    assert job["counts"]["unchanged"] == 3
    now = await _by_uhri_id(client, uhri.UPR_ID)
    assert now["upr"]["position"] == "supported"
    assert now["sdg_targets"] == ["5.2"]
    assert now["sdg_goals"] == [5]
    assert now["priority"] == "high"
    assert now["version"] == prioritised.json()["version"] + 1
    history = (await client.get(f"/recommendations/{upr['id']}/history")).json()["items"]
    assert history[0]["action"] == "import_update"
    assert history[0]["changes"]["upr"]["before"]["position"] == "noted"
    assert history[0]["changes"]["upr"]["after"]["position"] == "supported"


async def test_another_language_adds_its_text_to_the_same_records(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    await upload(uhri.write_json(tmp_path / "export-full-en.json", uhri.english()))
    english = {r["uhri_id"]: r for r in (await client.get("/recommendations")).json()["items"]}
    for lang in ("fr", "ar", "zh"):
        job = await upload(
            uhri.write_json(tmp_path / f"export-full-{lang}.json", uhri.translated(lang))
        )
        assert job["lang"] == lang
        assert job["counts"]["updated"] == 4, job
    for uhri_id, before in english.items():
        after = await _by_uhri_id(client, uhri_id)
        assert sorted(after["text"]) == ["ar", "en", "fr", "zh"]
        assert _facts(after) == _facts(before)
        assert after["paragraph"] == before["paragraph"]
    zh = await client.get("/recommendations", params={"q": "言论自由"})
    assert [r["uhri_id"] for r in zh.json()["items"]] == [uhri.UPR_ID]


async def test_one_language_alone_gives_the_facts_english_gives(
    app: FastAPI, client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    await upload(uhri.write_json(tmp_path / "export-full-en.json", uhri.english()))
    english = {
        r["uhri_id"]: _facts(r) for r in (await client.get("/recommendations")).json()["items"]
    }
    for rec in english.values():
        # Labels that only the English file can name (themes have no code) aside.
        rec["themes"] = []
    for lang in ("fr", "ar", "zh"):
        await _forget_recommendations(app)
        job = await upload(
            uhri.write_json(tmp_path / f"export-full-{lang}.json", uhri.translated(lang))
        )
        assert job["counts"]["created"] == 4, job
        alone = {
            r["uhri_id"]: _facts(r) for r in (await client.get("/recommendations")).json()["items"]
        }
        assert alone == english, lang
        paragraphs = {
            r["uhri_id"]: r["paragraph"]
            for r in (await client.get("/recommendations")).json()["items"]
        }
        assert paragraphs[uhri.UPR_ID] == "132.90", lang
        assert paragraphs[uhri.CRC_ID] == "4", lang
        warnings = [e for e in job["errors"] if e["field"] == "Themes"]
        assert warnings
        assert warnings[0]["severity"] == "warning"


async def test_excel_export_gives_the_same_records_as_json(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    excel = await upload(uhri.write_xlsx(tmp_path / "export-full-en.xlsx", uhri.english()))
    assert excel["format"] == "xlsx"
    assert excel["counts"]["created"] == 4, excel["message"]
    assert excel["errors"][0]["row"] == 6  # the header is row 1; Atlantis is the fifth record
    from_excel = {r["uhri_id"]: r for r in (await client.get("/recommendations")).json()["items"]}
    assert from_excel[uhri.UPR_ID]["publication_date"] == "2016-12-28"
    assert from_excel[uhri.UPR_ID]["upr"]["recommending_states"] == ["New Zealand", "Norway"]
    as_json = await upload(uhri.write_json(tmp_path / "export-full-en.json", uhri.english()))
    assert as_json["counts"]["unchanged"] == 4


async def _labels(client: AsyncClient) -> dict[str, list[dict[str, Any]]]:
    """Every mechanism, theme and affected-persons group, in full."""
    found = {}
    for path in ("/mechanisms", "/themes", "/affected-persons"):
        response = await client.get(path, params={"limit": 500})
        assert response.status_code == 200, response.text
        assert response.json()["next_cursor"] is None
        found[path] = response.json()["items"]
    return found


async def test_country_filter_and_dry_run(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    # Labels no seed and no other test holds: only this import can bring them.
    unique = uuid.uuid4().hex[:8]
    records = uhri.english()
    records[0] |= {"Body": f"- SR Dry run {unique}", "Themes": [f"- Dry run theme {unique}"],
                   "AffectedPersons": [f"- Dry run group {unique}"]}  # fmt: skip
    path = uhri.write_json(tmp_path / "export-full-en.json", records)
    before = await _labels(client)
    dry = await upload(path, dry_run="true")
    assert dry["dry_run"] is True
    assert dry["counts"] == {"created": 4, "updated": 0, "unchanged": 0, "skipped": 0, "invalid": 1}
    assert (await client.get("/recommendations")).json()["items"] == []
    assert await _labels(client) == before
    only = await upload(path, country=["KEN", "PAK"])
    # The same file imported for real does bring them: the dry run had them to add.
    after = await _labels(client)
    assert f"SR Dry run {unique}" in {m["code"] for m in after["/mechanisms"]}
    assert f"Dry run theme {unique}" in {t["name"] for t in after["/themes"]}
    assert f"Dry run group {unique}" in {g["name"] for g in after["/affected-persons"]}
    assert only["countries"] == ["KEN", "PAK"]
    assert only["counts"] == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "skipped": 2,
        "invalid": 1,
    }
    imported = {r["uhri_id"] for r in (await client.get("/recommendations")).json()["items"]}
    assert imported == {uhri.UPR_ID, uhri.CRC_ID}
    unknown = await client.post(
        "/imports", files={"file": ("x.json", b"[]")}, data={"country": ["XXX"]}
    )
    assert_problem(unknown, 422, "body.country")


async def test_csv_template_for_other_recommendations(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    path = tmp_path / "pledges.csv"
    path.write_text(
        "id,text,countries,body,symbol,type,publication_date,sdgs,themes\n"
        'pledge-1,"1. Ratify the Convention (voluntary pledge)",KEN,UPR,A/HRC/PLEDGE/1,'
        'Recommendations,2021-05-01,"5 - GENDER EQUALITY\n16.3 - Rule of law",\n',
        encoding="utf-8",
    )
    job = await upload(path, lang="en")
    assert job["format"] == "csv"
    assert job["counts"]["created"] == 1, job
    rec = await _by_uhri_id(client, "pledge-1")
    assert rec["sdg_goals"] == [5, 16]
    assert rec["countries"] == ["KEN"]


async def test_importing_needs_a_coordinator(
    make_client: ClientFactory, anonymous: AsyncClient, tmp_path: Path
) -> None:
    viewer = await make_client(Role.viewer)
    files = {"file": ("export-full-en.json", json.dumps(uhri.english()).encode())}
    assert_problem(await viewer.post("/imports", files=files), 403)
    assert_problem(await anonymous.post("/imports", files=files), 401)
    assert_problem(await viewer.get("/imports"), 403)


async def test_jobs_are_listed_newest_first(
    client: AsyncClient, upload: Upload, tmp_path: Path
) -> None:
    first = await upload(uhri.write_json(tmp_path / "a-en.json", uhri.english()[:1]))
    second = await upload(uhri.write_json(tmp_path / "b-en.json", uhri.english()[1:2]))
    listed = (await client.get("/imports")).json()["items"]
    assert [j["id"] for j in listed] == [second["id"], first["id"]]
    assert_problem(await client.get("/imports/00000000-0000-0000-0000-000000000000"), 404)
