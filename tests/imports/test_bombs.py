"""Files built to exhaust memory or CPU: refused, or reduced to one invalid record, with what
is allocated while reading them bounded (tracemalloc counts Python's allocations, ijson's
included). The files are written here, none is kept in the repository."""

import io
import json
import tracemalloc
import zipfile
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient

from app.imports import workbook
from app.imports.readers import EXCEL_COLUMNS, FileFormatError, Format, read_records
from tests.imports import uhri_files as uhri
from tests.problems import assert_problem

MiB = 1024**2
RunImports = Callable[[], Awaitable[int]]


def depth_bomb(depth: int = 40_000) -> bytes:
    """UHRI records around one that nests `depth` levels: 80 KB at 40,000 levels."""
    good = uhri.english()[:2]
    head = json.dumps(good[0]).encode()
    tail = json.dumps(good[1]).encode()
    return b"[" + head + b',{"Themes":' + b"[" * depth + b"]" * depth + b"}," + tail + b"]"


def shared_strings_xml(count: int, text: str = "s") -> bytes:
    strings = b"".join(b"<si><t>%s%d</t></si>" % (text.encode(), n) for n in range(count))
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + strings
        + b"</sst>"
    )


def with_part(xlsx: Path, name: str, content: bytes) -> bytes:
    """The workbook at `xlsx` with the part `name` replaced by `content` (or added: a shared
    strings table, which openpyxl does not write, is declared in [Content_Types].xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(xlsx) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml" and name == SHARED_STRINGS_PART:
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            if info.filename != name:
                dest.writestr(info, data)
        dest.writestr(name, content)
    return out.getvalue()


SHARED_STRINGS_PART = "xl/sharedStrings.xml"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def _peak_while_reading(path: Path, fmt: Format) -> tuple[int, Exception | None]:
    """Peak bytes allocated while reading every record, and the error that stopped it."""
    tracemalloc.start()
    failure = None
    try:
        for _ in read_records(path, fmt):
            pass
    except FileFormatError as exc:
        failure = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, failure


@pytest.fixture
def valid_xlsx(tmp_path: Path) -> Path:
    return uhri.write_xlsx(tmp_path / "export-full-en.xlsx", uhri.english())


@pytest.fixture
def upload_bytes(
    client: AsyncClient, run_imports: RunImports
) -> Callable[[str, bytes], Awaitable[dict[str, Any]]]:
    async def send(name: str, content: bytes) -> dict[str, Any]:
        response = await client.post("/imports", files={"file": (name, content)})
        assert response.status_code == 202, response.text
        await run_imports()
        job: dict[str, Any] = (await client.get(f"/imports/{response.json()['id']}")).json()
        return job

    return send


def test_reading_a_depth_bomb_allocates_little(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(depth_bomb())
    assert len(path.read_bytes()) < 100_000
    peak, failure = _peak_while_reading(path, "json")
    assert failure is None
    assert peak < 16 * MiB, peak  # ijson built 4 GB of path strings for it


async def test_a_depth_bomb_is_one_invalid_record(
    upload_bytes: Callable[[str, bytes], Awaitable[dict[str, Any]]],
) -> None:
    job = await upload_bytes("export-full-en.json", depth_bomb())
    assert job["status"] == "succeeded", job
    assert job["counts"]["created"] == 2
    assert job["counts"]["invalid"] == 1
    assert job["errors"] == [
        {"index": 1, "field": "record", "message": "nested more than 8 levels deep",
         "severity": "error"}
    ]  # fmt: skip


async def test_a_record_over_64_mb_fails_the_file(
    upload_bytes: Callable[[str, bytes], Awaitable[dict[str, Any]]],
) -> None:
    content = b'[{"Text": "' + b"x" * (65 * MiB) + b'"}]'
    job = await upload_bytes("export-full-en.json", content)
    assert job["status"] == "failed"
    assert "Record 0 (counting from 0) is larger than 64 MB" in job["message"]


def test_reading_a_shared_strings_bomb_stops_at_the_count(tmp_path: Path, valid_xlsx: Path) -> None:
    strings = shared_strings_xml(workbook.MAX_SHARED_STRINGS + 100_000)
    assert len(strings) < workbook.MAX_SHARED_STRINGS_BYTES
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(with_part(valid_xlsx, SHARED_STRINGS_PART, strings))
    peak, failure = _peak_while_reading(path, "xlsx")
    assert failure is not None
    assert "more than 500,000 distinct strings" in str(failure)
    assert peak < 64 * MiB, peak


async def test_a_shared_strings_bomb_fails_its_job(
    valid_xlsx: Path, upload_bytes: Callable[[str, bytes], Awaitable[dict[str, Any]]]
) -> None:
    strings = shared_strings_xml(workbook.MAX_SHARED_STRINGS + 1)
    job = await upload_bytes("bomb.xlsx", with_part(valid_xlsx, SHARED_STRINGS_PART, strings))
    assert job["status"] == "failed"
    assert "JSON export" in job["message"]


async def test_shared_strings_over_the_size_cap_are_refused_at_upload(
    client: AsyncClient, valid_xlsx: Path, import_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under the compression ratio that gives a zip bomb away: only the cap refuses it.
    monkeypatch.setattr(workbook, "MAX_SHARED_STRINGS_BYTES", MiB)
    strings = shared_strings_xml(MiB // 10, "t")
    content = with_part(valid_xlsx, SHARED_STRINGS_PART, strings)
    response = await client.post("/imports", files={"file": ("bomb.xlsx", content)})
    body = assert_problem(response, 422, "body.file")
    assert "shared strings" in str(body["detail"])
    assert list(import_dir.iterdir()) == []


async def test_a_zip_bomb_is_refused_at_upload(client: AsyncClient, import_dir: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (300 * MiB))
    assert len(buffer.getvalue()) < MiB
    response = await client.post("/imports", files={"file": ("bomb.xlsx", buffer.getvalue())})
    body = assert_problem(response, 422, "body.file")
    assert "zip bomb" in str(body["detail"])
    assert list(import_dir.iterdir()) == []


async def test_a_zip_of_many_parts_is_refused_at_upload(client: AsyncClient) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(workbook.MAX_PARTS + 1):
            archive.writestr(f"p{n}", b"")
    response = await client.post("/imports", files={"file": ("parts.xlsx", buffer.getvalue())})
    assert "more parts" in str(assert_problem(response, 422, "body.file")["detail"])


def _sheet_with_cell(text_bytes: int) -> Iterator[bytes]:
    yield b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    yield b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
    yield b"x" * text_bytes
    yield b"</t></is></c></row></sheetData></worksheet>"


async def test_a_row_over_the_xml_cap_fails_its_job(
    valid_xlsx: Path, upload_bytes: Callable[[str, bytes], Awaitable[dict[str, Any]]]
) -> None:
    sheet = b"".join(_sheet_with_cell(workbook.MAX_ROW_XML_BYTES + 1))
    job = await upload_bytes("big.xlsx", with_part(valid_xlsx, "xl/worksheets/sheet1.xml", sheet))
    assert job["status"] == "failed"
    assert "row of the workbook is over 4,096 KB" in job["message"]


def test_rows_beyond_excels_limit_are_refused(tmp_path: Path, valid_xlsx: Path) -> None:
    # openpyxl makes up every missing row before row 2,000,000,000: a CPU bomb of 200 bytes.
    header = "".join(
        f'<c t="inlineStr"><is><t>{name}</t></is></c>' for name in EXCEL_COLUMNS
    ).encode()
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1">' + header + b'</row><row r="2000000000"/></sheetData></worksheet>'
    )
    path = tmp_path / "far.xlsx"
    path.write_bytes(with_part(valid_xlsx, "xl/worksheets/sheet1.xml", sheet))
    with pytest.raises(FileFormatError, match="more rows than Excel allows"):
        list(read_records(path, "xlsx"))
