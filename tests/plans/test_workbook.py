"""The plan workbook (DESIGN §10): downloaded, read back and compared with the database, filled
in and uploaded, all rows or none, the same workbook twice, and hostile files."""

import datetime as dt
import io
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import openpyxl
import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from openpyxl.workbook.workbook import Workbook
from sqlalchemy import func, select

from app.models.audit import AuditRecord
from app.models.indicator import Measurement
from app.models.notification import Notification
from app.models.progress_update import ProgressUpdate
from app.models.user import Role
from app.models.workbook_row import WorkbookRow
from app.plans import reading
from app.plans.labels import SHEETS
from tests.planning.factories import (
    assign,
    focal_point_headers,
    institution_id,
    plan_action,
    validated,
)
from tests.recommendations.factories import create_recommendation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Plan:
    institution: str
    focal_point: dict[str, str]
    recs: list[dict[str, Any]]
    action: dict[str, Any]
    indicator: dict[str, Any]


@pytest.fixture
async def plan(app: FastAPI, client: AsyncClient) -> Plan:
    institution = await institution_id(app, "Ministry of Justice")
    recs = [
        await create_recommendation(client, text={"en": f"Act ({n})", "fr": f"Agir ({n})"})
        for n in range(3)
    ]
    recs.append(await create_recommendation(client, text={"en": '=HYPERLINK("x")'}))
    for rec in recs:
        await assign(client, rec["id"], institution, due_date="2027-06-30")
    action = await plan_action(
        client, [recs[0]["id"]], institution_id=institution, start_date="2026-01-05",
        due_date="2027-03-31",
    )  # fmt: skip
    response = await client.post(
        "/indicators",
        json={"name": "Judges trained", "unit": "people", "baseline": 10, "target": 110,
              "target_date": "2027-12-31", "recommendation_ids": [recs[0]["id"]]},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    await validated(client, recs[1]["id"], "partially_implemented")
    return Plan(institution, await focal_point_headers(app, institution), recs, action,
                response.json())  # fmt: skip


async def download(http: AsyncClient, institution: str, **headers: str) -> Workbook:
    response = await http.get(
        "/plans/workbook.xlsx", params={"institution": institution}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def rows(workbook: Workbook, sheet: str) -> list[list[Any]]:
    return [list(row) for row in workbook[sheet].iter_rows(min_row=2, values_only=True)]


def column(workbook: Workbook, sheet: str, name: str) -> int:
    spec = next(s for s in SHEETS if s.name == sheet)
    return spec.position(name) + 1


def fill(workbook: Workbook, sheet: str, row: int, name: str, value: Any) -> None:
    workbook[sheet].cell(row=row, column=column(workbook, sheet, name), value=value)


def as_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def upload(
    http: AsyncClient, content: bytes, headers: dict[str, str] | None = None, **form: str
) -> Any:
    return await http.post(
        "/plans/workbook",
        files={"file": ("plan.xlsx", content, XLSX)},
        data=form,
        headers=headers or {},
    )


async def counts(app: FastAPI) -> tuple[int, int, int, int]:
    async with app.state.sessionmaker() as session:
        return (
            await session.scalar(select(func.count()).select_from(ProgressUpdate)) or 0,
            await session.scalar(select(func.count()).select_from(Measurement)) or 0,
            await session.scalar(select(func.count()).select_from(WorkbookRow)) or 0,
            await session.scalar(select(func.count()).select_from(AuditRecord)) or 0,
        )


async def test_every_sheet_reads_back_as_the_database_holds_it(
    client: AsyncClient, plan: Plan
) -> None:
    book = await download(client, plan.institution, **{"Accept-Language": "fr"})
    assert book.sheetnames == ["Recommendations", "Actions", "Indicators", "Progress"]
    # Headers in the requester's language; the id and key columns locked, the others not.
    assert book["Progress"].cell(1, column(book, "Progress", "narrative")).value == "Récit"
    progress = book["Progress"]
    assert progress.protection.sheet
    assert progress.cell(2, 1).protection.locked
    assert progress.cell(2, 2).protection.locked
    assert not progress.cell(2, column(book, "Progress", "narrative")).protection.locked
    assert book["Progress"].column_dimensions["H"].width >= 40
    listed = {r[0]: r for r in rows(book, "Recommendations")}
    assert set(listed) == {rec["id"] for rec in plan.recs}
    for rec in plan.recs:
        fetched = (await client.get(f"/recommendations/{rec['id']}")).json()
        row = listed[rec["id"]]
        assert row[1:4] == [fetched["symbol"], fetched["paragraph"], "CRC"]
        expected = fetched["text"].get("fr") or fetched["text"]["en"]
        assert row[4] == ("'" + expected if expected.startswith("=") else expected)
        assert row[5] == "lead"
        assert row[6] == dt.datetime(2027, 6, 30)
        assert row[7] == fetched["status"]
    assert listed[plan.recs[1]["id"]][8] == "partially_implemented"
    assert isinstance(listed[plan.recs[1]["id"]][9], dt.datetime)
    assert listed[plan.recs[0]["id"]][8] is None
    [action] = rows(book, "Actions")
    assert action[0] == plan.action["id"]
    assert action[1] == plan.action["version"]
    assert action[2] == plan.action["title"]
    assert action[6] == "planned"
    assert action[4] == dt.datetime(2026, 1, 5)
    assert action[5] == dt.datetime(2027, 3, 31)
    [indicator] = rows(book, "Indicators")
    assert indicator[0] == plan.indicator["id"]
    assert indicator[2:7] == ["Judges trained", "people", 10, 110, dt.datetime(2027, 12, 31)]
    assert indicator[7:] == [None] * 5
    progress_rows = rows(book, "Progress")
    assert [r[0] for r in progress_rows] == [r[0] for r in rows(book, "Recommendations")]
    assert len({r[1] for r in progress_rows}) == len(progress_rows)  # a key per row
    # Drop-downs for the statuses and the assessments.
    formulas = {v.formula1 for v in book["Actions"].data_validations.dataValidation}
    assert '"planned,in_progress,completed,cancelled"' in formulas
    formulas = {v.formula1 for v in book["Progress"].data_validations.dataValidation}
    assert '"not_started,in_progress,partially_implemented,implemented"' in formulas


async def test_round_trip_applies_every_sheet_and_a_second_upload_creates_nothing(
    app: FastAPI, client: AsyncClient, make_client: Any, plan: Plan
) -> None:
    focal = await make_client(headers=plan.focal_point)
    book = await download(focal, plan.institution)
    fill(book, "Actions", 2, "status", "in_progress")
    fill(book, "Indicators", 2, "new_value", 42)
    fill(book, "Indicators", 2, "new_date", dt.date(2026, 1, 31))
    fill(book, "Indicators", 2, "note", "=SUM(A1:A9)")
    recs = {r[0]: n for n, r in enumerate(rows(book, "Progress"), start=2)}
    first = recs[plan.recs[0]["id"]]
    fill(book, "Progress", first, "assessment", "in_progress")
    fill(book, "Progress", first, "narrative", "'=Training began")
    fill(book, "Progress", first, "evidence", "https://example.org/a\nhttps://example.org/b")
    content = as_bytes(book)
    before = await counts(app)
    response = await upload(focal, content)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "dry_run": False, "actions_changed": 1, "measurements_created": 1,
        "measurements_changed": 0, "progress_updates_created": 1, "progress_updates_changed": 0,
        "progress_updates_submitted": 1, "rows_unchanged": 0,
    }  # fmt: skip
    action = (await client.get(f"/actions/{plan.action['id']}")).json()
    assert action["status"] == "in_progress"
    indicator = (await client.get(f"/indicators/{plan.indicator['id']}")).json()
    assert indicator["latest_value"] == 42
    [measured] = (await client.get(f"/indicators/{plan.indicator['id']}/measurements")).json()[
        "items"
    ]
    assert measured["note"] == "=SUM(A1:A9)"  # a formula is text, never calculated
    [update] = (
        await client.get("/progress-updates", params={"recommendation": plan.recs[0]["id"]})
    ).json()["items"]
    assert update["state"] == "submitted"
    assert update["narrative"] == "=Training began"
    assert update["evidence"] == ["https://example.org/a", "https://example.org/b"]
    assert update["institution_id"] == plan.institution
    # Audited like the API's own writes: who, what, before and after.
    audited = (await client.get("/audit", params={"entity_type": "progress_update"})).json()
    mine = [r for r in audited["items"] if r["entity_id"] == update["id"]]
    assert {r["action"] for r in mine} == {"create", "submit"}
    assert all(r["actor"]["user_id"] and r["client"] for r in mine)
    # Submitted from the workbook as from the API: the coordinators are told.
    async with app.state.sessionmaker() as session:
        told = await session.scalars(
            select(Notification.data).where(Notification.type == "progress_update.submitted")
        )
        assert update["id"] in {data["update_id"] for data in told.all()}
    audited = (await client.get("/audit", params={"entity_id": plan.action["id"]})).json()
    assert audited["items"][0]["changes"]["status"] == {
        "before": "planned", "after": "in_progress"
    }  # fmt: skip
    audited = (await client.get("/audit", params={"entity_id": plan.indicator["id"]})).json()
    assert audited["items"][0]["action"] == "measure"
    assert audited["items"][0]["changes"]["value"]["after"] == 42
    after_first = await counts(app)
    assert after_first[:3] == (before[0] + 1, before[1] + 1, before[2] + 2)

    again = await upload(focal, content)
    assert again.status_code == 200, again.text
    body = again.json()
    assert body["rows_unchanged"] == 3
    assert sum(v for k, v in body.items() if k not in ("rows_unchanged", "dry_run")) == 0
    assert (await counts(app))[:3] == after_first[:3]


async def test_a_changed_draft_is_edited_not_duplicated(
    app: FastAPI, make_client: Any, plan: Plan
) -> None:
    focal = await make_client(headers=plan.focal_point)
    book = await download(focal, plan.institution)
    fill(book, "Progress", 2, "assessment", "not_started")
    fill(book, "Progress", 2, "narrative", "First words")
    response = await upload(focal, as_bytes(book), submit="false")
    assert response.json()["progress_updates_created"] == 1, response.text
    assert response.json()["progress_updates_submitted"] == 0
    fill(book, "Progress", 2, "narrative", "Better words")
    response = await upload(focal, as_bytes(book), submit="false")
    assert response.json()["progress_updates_changed"] == 1, response.text
    async with app.state.sessionmaker() as session:
        [update] = (await session.scalars(select(ProgressUpdate))).all()[-1:]
        assert update.narrative == "Better words"
        assert update.state == "draft"
    response = await upload(focal, as_bytes(book))  # now submit it
    assert response.json()["progress_updates_submitted"] == 1, response.text
    fill(book, "Progress", 2, "narrative", "Too late")
    response = await upload(focal, as_bytes(book))
    assert response.status_code == 422
    [problem] = response.json()["errors"]
    assert problem["sheet"] == "Progress"
    assert problem["row"] == 2
    assert "submitted" in problem["message"]


async def test_an_older_workbook_cannot_overwrite_a_newer_draft_edit(
    app: FastAPI, make_client: Any, plan: Plan
) -> None:
    focal = await make_client(headers=plan.focal_point)
    book = await download(focal, plan.institution)
    fill(book, "Progress", 2, "assessment", "not_started")
    fill(book, "Progress", 2, "narrative", "From the workbook")
    response = await upload(focal, as_bytes(book), submit="false")
    assert response.json()["progress_updates_created"] == 1, response.text
    async with app.state.sessionmaker() as session:
        [update] = (await session.scalars(select(ProgressUpdate))).all()[-1:]
    assert update.version == 1
    edited = await focal.patch(
        f"/progress-updates/{update.id}", json={"narrative": "Edited in the workspace"},
        headers={"If-Match": '"1"'},
    )  # fmt: skip
    assert edited.status_code == 200, edited.text
    fill(book, "Progress", 2, "narrative", "An older copy")
    response = await upload(focal, as_bytes(book), submit="false")
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert (problem["sheet"], problem["row"]) == ("Progress", 2)
    assert "changed after the workbook was downloaded" in problem["message"]
    async with app.state.sessionmaker() as session:
        again = await session.get(ProgressUpdate, update.id)
        assert again is not None
        assert (again.narrative, again.version) == ("Edited in the workspace", 2)


async def test_dry_run_writes_nothing(app: FastAPI, make_client: Any, plan: Plan) -> None:
    focal = await make_client(headers=plan.focal_point)
    book = await download(focal, plan.institution)
    fill(book, "Actions", 2, "status", "completed")
    fill(book, "Progress", 2, "assessment", "implemented")
    before = await counts(app)
    response = await upload(focal, as_bytes(book), dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert response.json()["actions_changed"] == 1
    assert response.json()["progress_updates_created"] == 1
    assert await counts(app) == before
    assert (await focal.get(f"/actions/{plan.action['id']}")).json()["status"] == "planned"


async def test_another_institutions_workbook_is_403_and_writes_nothing(
    app: FastAPI, client: AsyncClient, make_client: Any, plan: Plan
) -> None:
    book = await download(client, plan.institution)
    fill(book, "Progress", 2, "assessment", "implemented")
    stranger = await make_client(headers=await focal_point_headers(app, await institution_id(app)))
    before = await counts(app)
    response = await upload(stranger, as_bytes(book))
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await counts(app) == before
    # Nor may it download another institution's workbook, or all of them.
    for institution in (plan.institution, "all"):
        response = await stranger.get("/plans/workbook.xlsx", params={"institution": institution})
        assert response.status_code == 403


async def test_unknown_ids_and_bad_cells_are_422_naming_every_row(
    app: FastAPI, client: AsyncClient, plan: Plan
) -> None:
    book = await download(client, plan.institution, **{"Accept-Language": "es"})
    fill(book, "Actions", 2, "id", str(uuid.uuid4()))
    fill(book, "Actions", 2, "status", "completed")
    fill(book, "Indicators", 2, "new_value", "=1+1")
    fill(book, "Indicators", 2, "new_date", "2026-01-01")
    fill(book, "Progress", 2, "id", str(uuid.uuid4()))
    fill(book, "Progress", 2, "assessment", "implemented")
    fill(book, "Progress", 3, "assessment", "done")
    fill(book, "Progress", 4, "narrative", "No assessment")
    fill(book, "Progress", 5, "assessment", "implemented")  # good, but not alone
    before = await counts(app)
    response = await upload(client, as_bytes(book), {"Accept-Language": "es"})
    assert response.status_code == 422, response.text
    problems = [(p["sheet"], p["row"], p["column"]) for p in response.json()["errors"]]
    assert problems == [
        ("Actions", 2, "id"),
        ("Indicators", 2, "new_value"),
        ("Progress", 2, "id"),
        ("Progress", 3, "assessment"),
        ("Progress", 4, "assessment"),
    ]
    assert response.json()["errors"][0]["message"] == "No existe esa acción."
    assert await counts(app) == before


async def test_a_focal_point_cannot_write_where_the_api_refuses_it(
    app: FastAPI, client: AsyncClient, make_client: Any, plan: Plan
) -> None:
    """An action of another institution, listed in a tampered workbook: refused by the
    service as PATCH /actions refuses it."""
    other = await institution_id(app)
    foreign = await plan_action(client, [plan.recs[0]["id"]], institution_id=other)
    focal = await make_client(headers=plan.focal_point)
    book = await download(focal, plan.institution)
    fill(book, "Actions", 3, "id", foreign["id"])
    fill(book, "Actions", 3, "key", foreign["version"])
    fill(book, "Actions", 3, "status", "cancelled")
    before = await counts(app)
    response = await upload(focal, as_bytes(book))
    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert (problem["sheet"], problem["row"]) == ("Actions", 3)
    assert "responsible" in problem["message"]
    assert await counts(app) == before


async def test_all_institutions_is_a_zip_of_workbooks(client: AsyncClient, plan: Plan) -> None:
    response = await client.get("/plans/workbook.xlsx", params={"institution": "all"})
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert any(plan.institution[:8] in name for name in names)
        for name in names:
            book = openpyxl.load_workbook(io.BytesIO(archive.read(name)))
            assert book.sheetnames == [s.name for s in SHEETS]


async def test_workbooks_are_made_within_the_documents_bound(
    app: FastAPI, client: AsyncClient, plan: Plan
) -> None:
    slots = app.state.document_slots
    slots.busy = slots.limit  # reports or exports being made right now
    for institution in (plan.institution, "all"):
        full = await client.get("/plans/workbook.xlsx", params={"institution": institution})
        assert full.status_code == 503, full.text
        assert full.headers["retry-after"] == "5"
    slots.busy = 0
    await download(client, plan.institution)
    assert (
        await client.get("/plans/workbook.xlsx", params={"institution": "all"})
    ).status_code == 200
    assert slots.busy == 0


async def test_hostile_files_are_refused(
    app: FastAPI, client: AsyncClient, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await counts(app)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"<" + b"a" * (80 * 1024**2))
    response = await upload(client, bomb.getvalue())
    assert response.status_code == 422
    assert "zip bomb" in response.text
    response = await upload(client, b"not a workbook at all")
    assert response.status_code == 422
    wrong = openpyxl.Workbook()
    wrong.active.title = "Sheet1"
    response = await upload(client, as_bytes(wrong))
    assert response.status_code == 422
    book = await download(client, plan.institution)
    monkeypatch.setattr(reading, "MAX_ROWS", 2)  # a huge sheet, scaled down
    response = await upload(client, as_bytes(book))
    assert response.status_code == 422
    assert {(p["sheet"], p["row"]) for p in response.json()["errors"]} == {("Progress", 4)}
    monkeypatch.undo()
    del book["Progress"]
    response = await upload(client, as_bytes(book))
    assert response.status_code == 422
    assert {p["sheet"] for p in response.json()["errors"]} == {"Progress"}
    assert await counts(app) == before


async def test_an_unreadable_workbook_is_refused_without_naming_the_stored_file(
    client: AsyncClient, plan: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(handle: Any, **_: Any) -> Any:
        raise ValueError(f"Unable to read workbook: could not read worksheets from {handle.name}.")

    monkeypatch.setattr(reading, "open_workbook", broken)
    book = await download(client, plan.institution)
    response = await upload(client, as_bytes(book))
    assert response.status_code == 422, response.text
    assert "The file is not a readable Excel workbook." in response.text
    assert ".workbook" not in response.text
    assert "worksheets from" not in response.text


async def test_credentials_are_checked_before_the_body(
    anonymous: AsyncClient, make_client: Any
) -> None:
    response = await upload(anonymous, b"x" * 1000)
    assert response.status_code == 401
    assert response.headers.get("connection") == "close"
    viewer = await make_client(Role.viewer)
    response = await upload(viewer, b"x" * 1000)
    assert response.status_code == 403
    assert response.headers.get("connection") == "close"


async def test_control_characters_in_stored_names_are_left_out_of_the_workbook(
    client: AsyncClient,
) -> None:
    """The API stores what it is sent; XML cannot hold a control character (a fuzzed institution
    name made the download of every institution's workbook answer 500)."""
    name = "Ministry\x07 of\x01 Justice\x1b"
    made = await client.post("/institutions", json={"name": name, "kind": "ministry"})
    assert made.status_code == 201, made.text
    book = await download(client, made.json()["id"])
    assert book.properties.title == "Ministry of Justice"
    everything = await client.get("/plans/workbook.xlsx", params={"institution": "all"})
    assert everything.status_code == 200, everything.text
