"""Evidence files on progress updates (DESIGN §11): types by content, size limit while
streaming, one copy per content, and what the public may download."""

import asyncio
import hashlib
import io
import os
import time
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.attachments import storage
from app.attachments.storage import Received, blob_path, forget_marker, keep, storage_dir
from app.models.attachment import Attachment
from tests.conftest import ClientFactory
from tests.planning.factories import assign, focal_point_headers, institution_id, report
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
# The start of an ELF executable: what a renamed program looks like.
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x02\x00\x3e\x00" + bytes(200)


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _store(app: FastAPI) -> Path:
    return storage_dir(app.state.settings)


def _files_in(app: FastAPI) -> list[Path]:
    store = _store(app)
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


async def _draft(client: AsyncClient) -> dict[str, Any]:
    rec = await create_recommendation(client)
    return await report(client, rec["id"], "in_progress")


async def _upload(
    http: AsyncClient, update_id: str, content: bytes, name: str = "report.pdf",
    public: bool | None = None,
) -> Any:  # fmt: skip
    data = {} if public is None else {"public": "true" if public else "false"}
    return await http.post(
        f"/progress-updates/{update_id}/attachments", files={"file": (name, content)}, data=data
    )


async def test_a_pdf_is_stored_and_downloaded_as_an_attachment(
    app: FastAPI, client: AsyncClient
) -> None:
    update = await _draft(client)
    response = await _upload(client, update["id"], PDF, name="décret 2026.pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["size"] == len(PDF)
    assert body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["public"] is False
    download = await client.get(f"/attachments/{body['id']}")
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "filename*=utf-8''d%C3%A9cret%202026.pdf" in download.headers["content-disposition"]
    assert download.headers["x-content-type-options"] == "nosniff"
    listed = (await client.get(f"/progress-updates/{update['id']}/attachments")).json()
    assert [item["id"] for item in listed["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (_docx(), "minutes.bin", "application/vnd.openxmlformats-officedocument"
         ".wordprocessingml.document"),
        (b"\x89PNG\r\n\x1a\n" + bytes(64), "chart", "image/png"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "photo.png", "image/jpeg"),
        (b"year;value\n2024;3\n2025;5\n", "table.txt", "text/csv; charset=utf-8"),
        ("Лог решения совета\nстрока два\n".encode(), "notes.csv", "text/plain; charset=utf-8"),
    ],
)  # fmt: skip
async def test_the_type_comes_from_the_content_not_the_name(
    client: AsyncClient, content: bytes, name: str, expected: str
) -> None:
    update = await _draft(client)
    response = await _upload(client, update["id"], content, name=name)
    assert response.status_code == 201, response.text
    assert response.json()["content_type"] == expected


@pytest.mark.parametrize(
    "content",
    [ELF, b"MZ\x90\x00" + bytes(200), b"PK\x03\x04" + bytes(60), b"text then \x00 binary"],
    ids=["elf", "windows-exe", "bare-zip", "nul-in-text"],
)
async def test_a_renamed_executable_or_other_type_is_415_and_nothing_is_kept(
    app: FastAPI, client: AsyncClient, content: bytes
) -> None:
    update = await _draft(client)
    response = await _upload(client, update["id"], content, name="report.pdf")
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _files_in(app) == []
    listed = (await client.get(f"/progress-updates/{update['id']}/attachments")).json()
    assert listed["items"] == []


async def test_one_byte_over_the_limit_is_413_with_nothing_on_disk(
    app: FastAPI, client: AsyncClient
) -> None:
    limit = 4096
    app.state.settings = app.state.settings.model_copy(update={"max_attachment_bytes": limit})
    update = await _draft(client)
    at_limit = PDF + b"%" * (limit - len(PDF))
    assert (await _upload(client, update["id"], at_limit)).status_code == 201
    stored = set(_files_in(app))
    over = await _upload(client, update["id"], at_limit + b"%")
    assert over.status_code == 413, over.text
    assert set(_files_in(app)) == stored  # the partial upload is gone, the first file stays
    listed = (await client.get(f"/progress-updates/{update['id']}/attachments")).json()
    assert len(listed["items"]) == 1


async def test_the_same_file_twice_is_stored_once_and_deleted_with_its_last_row(
    app: FastAPI, client: AsyncClient
) -> None:
    first, second = await _draft(client), await _draft(client)
    a = (await _upload(client, first["id"], PDF)).json()
    b = (await _upload(client, second["id"], PDF, name="copy.pdf")).json()
    assert a["sha256"] == b["sha256"]
    assert a["id"] != b["id"]
    assert len(_files_in(app)) == 1
    deleted = await client.delete(
        f"/attachments/{a['id']}", headers={"If-Match": f'"{a["sha256"]}"'}
    )
    assert deleted.status_code == 204
    assert len(_files_in(app)) == 1  # still b's
    assert (await client.get(f"/attachments/{b['id']}")).content == PDF
    assert (
        await client.delete(f"/attachments/{b['id']}", headers={"If-Match": "*"})
    ).status_code == 204
    assert _files_in(app) == []
    assert (await client.get(f"/attachments/{b['id']}")).status_code == 404
    history = (await client.get("/audit", params={"entity_type": "attachment"})).json()["items"]
    assert {entry["action"] for entry in history} == {"create", "delete"}


async def test_files_are_added_and_deleted_only_while_draft_or_rejected(
    client: AsyncClient,
) -> None:
    update = await _draft(client)
    kept = (await _upload(client, update["id"], PDF)).json()
    assert (await client.delete(f"/attachments/{kept['id']}")).status_code == 428
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    assert (await _upload(client, update["id"], PDF)).status_code == 409
    refused = await client.delete(f"/attachments/{kept['id']}", headers={"If-Match": "*"})
    assert refused.status_code == 409
    rejected = await client.post(f"/progress-updates/{update['id']}/reject", json={"comment": "No"})
    assert rejected.status_code == 200
    assert (await _upload(client, update["id"], PDF, name="better.pdf")).status_code == 201
    gone = await client.delete(f"/attachments/{kept['id']}", headers={"If-Match": "*"})
    assert gone.status_code == 204


async def test_the_public_sees_only_public_files_of_validated_updates(
    client: AsyncClient, anonymous: AsyncClient
) -> None:
    update = await _draft(client)
    public = (await _upload(client, update["id"], PDF, public=True)).json()
    private = (await _upload(client, update["id"], PDF + b"\n", public=False)).json()
    # A draft's files, public or not, do not exist for the public.
    for attachment in (public, private):
        assert (await anonymous.get(f"/attachments/{attachment['id']}")).status_code == 404
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    assert (await client.post(f"/progress-updates/{update['id']}/validate")).status_code == 200
    assert (await anonymous.get(f"/attachments/{private['id']}")).status_code == 404
    seen = await anonymous.get(f"/attachments/{public['id']}")
    assert seen.status_code == 200
    assert seen.content == PDF
    listed = (await anonymous.get(f"/progress-updates/{update['id']}/attachments")).json()
    assert [(item["id"], item["uploaded_by_id"]) for item in listed["items"]] == [
        (public["id"], None)
    ]


async def test_callers_are_checked_before_the_body_is_read(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec = await create_recommendation(client)
    ministry = await institution_id(app)
    await assign(client, rec["id"], ministry)
    update = await report(client, rec["id"], "in_progress", institution_id=ministry)
    anonymous = await make_client()
    assert (await _upload(anonymous, update["id"], PDF)).status_code == 401
    outsider = await make_client(headers=await focal_point_headers(app, await institution_id(app)))
    assert (await _upload(outsider, update["id"], PDF)).status_code == 403
    insider = await make_client(headers=await focal_point_headers(app, ministry))
    assert (await _upload(insider, update["id"], PDF)).status_code == 201
    assert len(_files_in(app)) == 1


async def test_an_upload_without_a_file_or_with_a_bad_flag_is_422(
    app: FastAPI, client: AsyncClient
) -> None:
    update = await _draft(client)
    no_file = await client.post(
        f"/progress-updates/{update['id']}/attachments", files={"other": ("x.pdf", PDF)}
    )
    assert no_file.status_code == 422, no_file.text
    not_multipart = await client.post(
        f"/progress-updates/{update['id']}/attachments", json={"file": "x"}
    )
    assert not_multipart.status_code == 422
    refused = await client.post(
        f"/progress-updates/{update['id']}/attachments",
        files={"file": ("x.pdf", PDF)}, data={"public": "maybe"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert _files_in(app) == []


@pytest.mark.parametrize("file_first", [False, True], ids=["public-then-file", "file-then-public"])
async def test_the_public_flag_and_the_file_in_one_read_are_both_taken(
    client: AsyncClient, anonymous: AsyncClient, file_first: bool
) -> None:
    update = await _draft(client)
    url = f"/progress-updates/{update['id']}/attachments"
    built = client.build_request("POST", url, files={"file": ("r.pdf", PDF)}, data={"public": "1"})
    body, boundary = built.read(), built.headers["content-type"].split("boundary=")[1].encode()
    if file_first:  # httpx puts fields first; swap the two parts
        head, public_part, file_part, tail = body.split(b"--" + boundary)
        body = (b"--" + boundary).join([head, file_part, public_part, tail])
    # Sent as bytes: the whole body reaches the parser in one read.
    headers = {"content-type": built.headers["content-type"]}
    response = await client.post(url, content=body, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["public"] is True
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    assert (await client.post(f"/progress-updates/{update['id']}/validate")).status_code == 200
    assert (await anonymous.get(f"/attachments/{response.json()['id']}")).content == PDF


async def test_a_file_whose_body_ends_after_the_update_was_validated_is_409_and_not_kept(
    app: FastAPI, client: AsyncClient
) -> None:
    update = await _draft(client)
    url = f"/progress-updates/{update['id']}/attachments"
    built = client.build_request("POST", url, files={"file": ("late.pdf", PDF)})
    body = built.read()
    reading, validated = asyncio.Event(), asyncio.Event()

    async def slow_body() -> AsyncIterator[bytes]:
        yield body[:100]
        reading.set()  # the handler checked the state and is reading the body
        await validated.wait()
        yield body[100:]

    headers = {"content-type": built.headers["content-type"]}
    upload = asyncio.create_task(client.post(url, content=slow_body(), headers=headers))
    await asyncio.wait_for(reading.wait(), 10)
    assert (await client.post(f"/progress-updates/{update['id']}/submit")).status_code == 200
    assert (await client.post(f"/progress-updates/{update['id']}/validate")).status_code == 200
    validated.set()
    response = await asyncio.wait_for(upload, 10)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert _files_in(app) == []
    listed = (await client.get(f"/progress-updates/{update['id']}/attachments")).json()
    assert listed["items"] == []


@pytest.mark.parametrize(
    ("content", "sent", "kept"),
    [
        (b'<script>alert("x")</script>\n', "report.hta", "report.hta.txt"),
        (_docx(), "minutes.docm", "minutes.docm.docx"),
        (b"year;value\n2024;3\n2025;5\n", "table.txt", "table.csv"),
        (PDF, "Report.PDF", "Report.PDF"),
        (b"\xff\xd8\xff\xe0" + bytes(64), "photo.jpeg", "photo.jpeg"),
        (PDF, "no_extension", "no_extension.pdf"),
    ],
)  # fmt: skip
async def test_the_kept_name_ends_with_the_detected_types_extension(
    client: AsyncClient, content: bytes, sent: str, kept: str
) -> None:
    update = await _draft(client)
    response = await _upload(client, update["id"], content, name=sent)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept
    download = await client.get(f"/attachments/{response.json()['id']}")
    assert download.headers["content-disposition"] == f'attachment; filename="{kept}"'


async def test_long_or_many_form_fields_are_422_and_nothing_is_kept(
    app: FastAPI, client: AsyncClient
) -> None:
    update = await _draft(client)
    path = f"/progress-updates/{update['id']}/attachments"
    long = await client.post(path, files={"file": ("a.pdf", PDF)}, data={"public": "x" * 2000})
    assert_problem(long, 422, "body.public")
    many = await client.post(
        path, files={"file": ("a.pdf", PDF)}, data={f"f{i}": "1" for i in range(40)}
    )
    assert_problem(many, 422, "body")
    assert _files_in(app) == []


async def test_deleting_the_last_row_keeps_the_file_an_upload_in_flight_is_keeping(
    app: FastAPI, client: AsyncClient
) -> None:
    """The same content uploaded again while its last row is deleted: the upload found the file
    on disk and kept no copy of its own, so removing it would leave the new row without one."""
    settings = app.state.settings
    kept = (await _upload(client, (await _draft(client))["id"], PDF)).json()
    temp = storage_dir(settings) / "tmp" / "in-flight.part"
    temp.write_bytes(PDF)
    in_flight = Received(temp=temp, size=len(PDF), digest=hashlib.sha256(PDF).hexdigest())
    marker = keep(settings, in_flight)  # its row is not committed yet
    assert not temp.exists()  # the content was there: no second copy
    deleted = await client.delete(f"/attachments/{kept['id']}", headers={"If-Match": "*"})
    assert deleted.status_code == 204
    assert blob_path(settings, kept["sha256"]).read_bytes() == PDF
    forget_marker(marker)  # the upload's row committed; its file is there
    assert _files_in(app) == [blob_path(settings, kept["sha256"])]


async def test_an_update_holds_at_most_the_configured_number_of_files(
    app: FastAPI, client: AsyncClient
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"max_attachments_per_update": 2})
    update = await _draft(client)
    for n in range(2):
        assert (await _upload(client, update["id"], f"line {n}\n".encode(), "n.txt")).is_success
    refused = await _upload(client, update["id"], PDF)
    assert_problem(refused, 409)
    assert "RECTRACK_MAX_ATTACHMENTS_PER_UPDATE" in refused.json()["detail"]
    listed = await client.get(f"/progress-updates/{update['id']}/attachments")
    assert len(listed.json()["items"]) == 2
    assert len(_files_in(app)) == 2


async def test_repeated_or_unnamed_parts_count_toward_the_cap(
    app: FastAPI, client: AsyncClient
) -> None:
    update = await _draft(client)
    path = f"/progress-updates/{update['id']}/attachments"
    boundary = "b0undary"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n'] * 40
    parts += [f"--{boundary}\r\nContent-Disposition: form-data\r\n\r\n1\r\n"] * 40
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
        f"text\r\n--{boundary}--\r\n"
    )
    sent = await client.post(
        path, content="".join(parts).encode(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )  # fmt: skip
    assert_problem(sent, 422, "body")
    assert _files_in(app) == []


async def test_a_row_committed_just_before_the_removal_keeps_its_file(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload of the same content found the file, then committed its row (and dropped its
    marker) after the delete had counted no other row and before the file was removed: the
    removal counts again after the move, and puts the file back."""
    settings = app.state.settings
    first = (await _upload(client, (await _draft(client))["id"], PDF)).json()
    second = await _draft(client)
    temp = storage_dir(settings) / "tmp" / "in-flight.part"
    temp.write_bytes(PDF)
    marker = keep(settings, Received(temp=temp, size=len(PDF), digest=first["sha256"]))
    move_aside = storage.move_aside
    loop = asyncio.get_running_loop()

    async def commit_the_uploads_row() -> None:
        async with app.state.sessionmaker() as session, session.begin():
            session.add(
                Attachment(
                    id=uuid.uuid4(), progress_update_id=uuid.UUID(second["id"]),
                    filename="b.pdf", content_type="application/pdf", size=len(PDF),
                    sha256=first["sha256"], public=False,
                )
            )  # fmt: skip

    def upload_commits_then_move(settings: Any, digest: str) -> Any:
        # Runs in a worker thread while the request awaits it: the loop is free meanwhile.
        asyncio.run_coroutine_threadsafe(commit_the_uploads_row(), loop).result(timeout=30)
        forget_marker(marker)
        return move_aside(settings, digest)

    monkeypatch.setattr(storage, "move_aside", upload_commits_then_move)
    deleted = await client.delete(f"/attachments/{first['id']}", headers={"If-Match": "*"})
    assert deleted.status_code == 204
    assert blob_path(settings, first["sha256"]).read_bytes() == PDF
    assert [p.name for p in _files_in(app)] == [first["sha256"]]


async def test_what_a_crash_left_in_the_store_is_swept_a_day_later(
    app: FastAPI, client: AsyncClient
) -> None:
    settings = app.state.settings
    kept = (await _upload(client, (await _draft(client))["id"], PDF)).json()
    target = blob_path(settings, kept["sha256"])
    partial = storage_dir(settings) / "tmp" / "cut-off.part"
    partial.write_bytes(b"%PDF-1.4 half")
    marker = target.with_name(f"{target.name}.dead{'.uploading'}")
    marker.touch()
    aside = target.with_name(f"{target.name}.dead.removing")
    os.replace(target, aside)  # a removal that crashed before it was finished
    fresh = storage_dir(settings) / "tmp" / "arriving.part"
    fresh.write_bytes(b"%PDF-1.4 still arriving")
    day_ago = time.time() - 25 * 3600
    for path in (partial, marker, aside):
        os.utime(path, (day_ago, day_ago))
    assert storage.sweep_leftovers(settings) == 3
    assert not partial.exists()
    assert not marker.exists()
    assert target.read_bytes() == PDF  # put back: a row uses it
    assert fresh.exists()  # an upload of today is not touched
    assert (await client.get(f"/attachments/{kept['id']}")).content == PDF
