"""/imports: a coordinator uploads a UHRI file and follows its job; the role is checked before
a byte of the file is read, as POST /api/v1/imports does."""

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.imports.worker import ImportWorker
from app.models.import_job import ImportJob
from app.models.user import Role
from tests.accounts import bearer
from tests.imports.test_upload_access import MULTIPART, WatchedBody
from tests.imports.uhri_files import english
from tests.web.pages import browser, csrf_token, signed_in_browser


async def _jobs(app: FastAPI) -> int:
    async with app.state.sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(ImportJob)) or 0)


def _export() -> bytes:
    return json.dumps(english()).encode()


async def test_a_coordinator_uploads_a_file_and_follows_its_job(app: FastAPI) -> None:
    client, person = await signed_in_browser(app, Role.coordinator)
    page = await client.get("/imports")
    assert page.status_code == 200
    assert "Nothing has been imported yet." in page.text
    sent = await client.post(
        "/imports",
        data={"csrf_token": csrf_token(page)},
        files={"file": ("export-full-en.json", _export(), "application/json")},
    )
    assert sent.status_code == 303, sent.text
    job_url = sent.headers["location"]
    assert re.fullmatch(r"/imports/[0-9a-f-]{36}", job_url)
    queued = await client.get(job_url)
    assert "The file is received; its import is queued." in queued.text
    assert "Waiting to start" in queued.text
    assert f'data-poll="{job_url}/progress"' in queued.text
    assert "import-progress.js" in queued.text
    assert await ImportWorker(app.state.sessionmaker).run_pending() == 1
    progress = await client.get(f"{job_url}/progress")
    assert progress.status_code == 200
    assert "data-poll" not in progress.text  # finished: the script stops and reloads
    assert "<html" not in progress.text
    done = await client.get(job_url)
    assert "Finished" in done.text
    assert "import-progress.js" not in done.text
    # The figures are the job's, as the API gives them.
    async with browser(app) as api:
        job = (await api.get(f"/api/v1{job_url}", headers=bearer(app, person))).json()
    counts = re.findall(r'class="count">([\d,]+)</span> <span class="what">([^<]+)', done.text)
    shown = {what: int(n.replace(",", "")) for n, what in counts}
    assert shown["Created"] == job["counts"]["created"] > 0
    listed = await client.get("/imports")
    assert "export-full-en.json" in listed.text
    assert person.name in listed.text
    await client.aclose()


async def test_bad_uploads_come_back_with_the_problem_next_to_the_field(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.coordinator)
    page = await client.get("/imports")
    token = csrf_token(page)
    empty = await client.post("/imports", data={"csrf_token": token, "dry_run": "on"})
    assert empty.status_code == 422
    assert 'id="f-file-error"' in empty.text
    assert 'id="f-dry_run" name="dry_run" value="on" checked' in empty.text  # kept
    not_uhri = await client.post(
        "/imports",
        data={"csrf_token": token, "country": ["KEN"]},
        files={"file": ("notes.txt", b"just some words", "text/plain")},
    )
    assert not_uhri.status_code == 422
    assert "This file is neither a UHRI export" in not_uhri.text
    assert '<option value="KEN" selected>' in not_uhri.text
    unknown = await client.post(
        "/imports",
        data={"csrf_token": token, "country": ["ZZZ"]},
        files={"file": ("export-full-en.json", _export(), "application/json")},
    )
    assert unknown.status_code == 422
    assert 'id="f-country-error"' in unknown.text
    bad_lang = await client.post(
        "/imports",
        data={"csrf_token": token, "lang": "xx"},
        files={"file": ("export.json", _export(), "application/json")},
    )
    assert bad_lang.status_code == 422
    assert 'id="f-lang-error"' in bad_lang.text
    assert await _jobs(app) == 0
    assert not any(Path(app.state.settings.import_dir).glob("*.upload"))
    await client.aclose()


async def test_an_upload_without_the_csrf_token_is_refused(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.coordinator)
    refused = await client.post(
        "/imports", files={"file": ("export-full-en.json", _export(), "application/json")}
    )
    assert refused.status_code == 403
    assert "<html" in refused.text
    assert await _jobs(app) == 0
    await client.aclose()


@pytest.mark.parametrize("role", [None, Role.viewer, Role.focal_point])
async def test_refused_uploads_are_answered_before_the_file_is_read(
    app: FastAPI, role: Role | None
) -> None:
    body = WatchedBody()
    if role is None:
        async with browser(app) as client:
            answer = await client.post("/imports", content=body, headers=MULTIPART)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")
    else:
        client, _ = await signed_in_browser(app, role)
        answer = await client.post("/imports", content=body, headers=MULTIPART)
        await client.aclose()
        assert answer.status_code == 403
        assert "You may not do this" in answer.text
    assert answer.headers["connection"] == "close"
    assert not body.read
    assert await _jobs(app) == 0


@pytest.mark.parametrize("role", [Role.viewer, Role.focal_point])
async def test_only_importers_see_the_pages(app: FastAPI, role: Role) -> None:
    client, _ = await signed_in_browser(app, role)
    assert (await client.get("/imports")).status_code == 403
    home = await client.get("/")
    assert 'href="/imports"' not in home.text
    await client.aclose()


async def test_an_unknown_job_is_a_not_found_page(app: FastAPI) -> None:
    client, _ = await signed_in_browser(app, Role.coordinator)
    missing = await client.get("/imports/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert 'href="/imports" aria-current="page"' in missing.text
    await client.aclose()
