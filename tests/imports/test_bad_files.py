"""Files that are not what they claim: a clear error, and nothing written."""

import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient
from openpyxl import Workbook

from tests.imports import uhri_files as uhri
from tests.problems import assert_problem


async def _send(client: AsyncClient, name: str, content: bytes) -> Any:
    return await client.post("/imports", files={"file": (name, content)})


async def _nothing_imported(client: AsyncClient) -> None:
    page = (await client.get("/recommendations", params={"include_total": "true"})).json()
    assert page["total"] == 0


async def _failed_job(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]], name: str, content: bytes
) -> dict[str, Any]:
    response = await _send(client, name, content)
    assert response.status_code == 202, response.text
    await run_imports()
    job: dict[str, Any] = (await client.get(f"/imports/{response.json()['id']}")).json()
    assert job["status"] == "failed", job
    assert job["counts"]["created"] == 0
    await _nothing_imported(client)
    return job


def _json(records: list[dict[str, Any]]) -> bytes:
    return json.dumps(records, ensure_ascii=False).encode()


async def test_truncated_json_fails_before_writing_anything(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    content = _json(uhri.english() * 3)
    job = await _failed_job(
        client, run_imports, "export-full-en.json", content[: len(content) // 2]
    )
    assert "truncated" in job["message"] or "malformed" in job["message"]


async def test_a_broken_json_file_is_told_in_one_line_with_where(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    content = _json(uhri.english() * 3)
    half = content[: len(content) // 2]
    truncated = await _failed_job(client, run_imports, "export-full-en.json", half)
    assert "\n" not in truncated["message"]
    assert "right here" not in truncated["message"]
    assert truncated["message"].startswith("The JSON is truncated: the file ends at byte ")
    assert f"byte {len(half)}, inside record " in truncated["message"]
    first_end = content.index(b"}, {") + 1
    broken = content[:first_end] + b', {"AnnotationId": "y" "Text": 2}]'
    malformed = await _failed_job(client, run_imports, "export-full-en.json", broken)
    message = malformed["message"]
    assert "\n" not in message
    assert message.startswith("The JSON is malformed (")
    assert "in record 1 (counting from 0), at byte " in message
    byte = int(message.rsplit("at byte ", 1)[1].rstrip("."))
    assert first_end < byte <= len(broken)


async def test_text_in_another_encoding_fails(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    records = uhri.english()
    records[0]["Text"] = "132.90 Veiller à l’égalité (Côte d’Ivoire);"
    latin1 = json.dumps(records, ensure_ascii=False).encode("latin-1", errors="replace")
    job = await _failed_job(client, run_imports, "export-full-fr.json", latin1)
    assert "UTF-8" in job["message"]
    utf16 = await _send(client, "export-full-en.json", json.dumps(records).encode("utf-16"))
    assert_problem(utf16, 422, "body.file")


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7 not an export", b"\x00\x01\x02binary", b"<html>hello</html>", b"", b"   "],
)
async def test_files_of_no_known_format_are_422(client: AsyncClient, content: bytes) -> None:
    response = await _send(client, "export.json", content)
    body = assert_problem(response, 422, "body.file")
    assert "Not a UHRI export" in str(body["errors"]) or "UTF-8" in str(body["errors"])
    assert (await client.get("/imports")).json()["items"] == []


async def test_a_zip_that_is_not_a_workbook_fails(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    job = await _failed_job(client, run_imports, "export-full-en.xlsx", buffer.getvalue())
    assert "Excel" in job["message"]


async def test_a_workbook_with_the_wrong_columns_fails(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]], tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Recommendation", "Country", "Date"])
    sheet.append(["Do something", "Kenya", "2020-01-01"])
    book.save(tmp_path / "wrong.xlsx")
    job = await _failed_job(
        client, run_imports, "wrong.xlsx", (tmp_path / "wrong.xlsx").read_bytes()
    )
    assert "lacks UHRI's columns" in job["message"]
    assert "Reccomending Body" in job["message"]


async def test_a_json_value_that_is_not_an_array_of_records(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    response = await _send(client, "export-full-en.json", b'{"AnnotationId": "x"}')
    assert_problem(response, 422, "body.file")
    mixed = await _send(client, "export-full-en.json", b'[1, "two", null]')
    assert mixed.status_code == 202
    await run_imports()
    job = (await client.get(f"/imports/{mixed.json()['id']}")).json()
    assert job["status"] == "succeeded"
    assert job["counts"]["invalid"] == 3
    assert {e["message"] for e in job["errors"]} == {"not a JSON object"}


async def test_a_50_mb_text_is_one_invalid_record(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    records = uhri.english()[:2]
    records[1]["Text"] = "4. " + "x" * (50 * 1024 * 1024)
    response = await _send(client, "export-full-en.json", _json(records))
    assert response.status_code == 202
    await run_imports()
    job = (await client.get(f"/imports/{response.json()['id']}")).json()
    assert job["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "invalid": 1}
    assert job["errors"][0]["field"] == "Text"
    assert "longer than" in job["errors"][0]["message"]


async def test_upload_names_are_never_paths(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]], import_dir: Path
) -> None:
    response = await _send(client, "../../../../tmp/evil-en.json", _json(uhri.english()[:1]))
    assert response.status_code == 202
    job = response.json()
    assert job["filename"] == "evil-en.json"
    stored = list(import_dir.iterdir())
    assert len(stored) == 1
    assert stored[0].parent == import_dir
    assert not Path("/tmp/evil-en.json").exists()
    await run_imports()
    assert list(import_dir.iterdir()) == []  # the upload goes once its job is done


async def test_a_nul_character_makes_one_invalid_record(
    client: AsyncClient, run_imports: Callable[[], Awaitable[int]]
) -> None:
    # PostgreSQL cannot store U+0000; SQLite can. Both refuse the record, so that they agree.
    records = uhri.english()[:2]
    records[1]["Symbol"] = "A/HRC/\x0032/10"
    response = await _send(client, "export-full-en.json", _json(records))
    await run_imports()
    job = (await client.get(f"/imports/{response.json()['id']}")).json()
    assert job["status"] == "succeeded"
    assert job["counts"]["created"] == 1
    assert job["counts"]["invalid"] == 1
    assert job["errors"][0]["field"] == "Symbol"
    assert "NUL" in job["errors"][0]["message"]
    assert_problem(
        await client.post(
            "/imports", files={"file": ("e.json", _json(records))}, data={"country": "K\x00N"}
        ),
        422,
        "body.country",
    )
