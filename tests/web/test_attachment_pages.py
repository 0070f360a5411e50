"""Evidence files on the recommendation page: a focal point attaches one to its draft, bad files
come back next to the field, a post without its CSRF token keeps nothing, and the public
downloads only the public files of validated updates."""

import uuid
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import select

from app.attachments.storage import storage_dir
from app.models.attachment import Attachment
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.user import Role
from tests.web.corpus import fill
from tests.web.pages import browser, csrf_token, signed_in_browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x02\x00\x3e\x00" + bytes(200)


def _kept(app: FastAPI) -> list[Path]:
    store = storage_dir(app.state.settings)
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


async def _files(app: FastAPI) -> list[Attachment]:
    async with app.state.sessionmaker() as db:
        return list((await db.scalars(select(Attachment).order_by(Attachment.filename))).all())


async def _attach(
    client: AsyncClient, update_id: uuid.UUID, token: str | None, name: str, content: bytes,
    public: bool = False,
) -> Response:  # fmt: skip
    data = {"csrf_token": token} if token else {}
    if public:
        data["public"] = "on"
    return await client.post(
        f"/progress-updates/{update_id}/attachments", data=data, files={"file": (name, content)}
    )


async def _draft(app: FastAPI, client: AsyncClient, rec_id: str) -> ProgressUpdate:
    page = await client.get(f"/recommendations/{rec_id}")
    sent = await client.post(
        f"/recommendations/{rec_id}/progress-updates",
        data={"csrf_token": csrf_token(page), "assessment": "in_progress",
              "narrative": "Bill drafted, with its evidence.", "intent": "save"},
    )  # fmt: skip
    assert sent.status_code == 303, sent.text
    async with app.state.sessionmaker() as db:
        mine = ProgressUpdate.narrative == "Bill drafted, with its evidence."
        found: ProgressUpdate = (await db.scalars(select(ProgressUpdate).where(mine))).one()
        return found


async def test_a_focal_point_attaches_and_deletes_evidence_on_its_draft(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    update = await _draft(app, focal, rec_id)
    page = await focal.get(f"/recommendations/{rec_id}")
    assert f'action="/progress-updates/{update.id}/attachments"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    token = csrf_token(page)

    # A program renamed as a PDF comes back next to the field, and nothing is kept.
    refused = await _attach(focal, update.id, token, "report.pdf", ELF)
    assert refused.status_code == 422
    assert f'id="f-files-{update.id}-file-error"' in refused.text
    assert "this file&#39;s content is none of those" in refused.text
    # The form sent without choosing a file.
    empty = await _attach(focal, update.id, token, "", b"")
    assert empty.status_code == 422
    assert "This field is required." in empty.text
    # Without the CSRF token: refused, and the file that arrived is not kept.
    forged = await _attach(focal, update.id, None, "decree.pdf", PDF)
    assert forged.status_code == 403
    assert await _files(app) == []
    assert _kept(app) == []

    attached = await _attach(focal, update.id, token, "decree.pdf", PDF, public=True)
    assert attached.status_code == 303
    kept = await _attach(focal, update.id, token, "notes.txt", b"Budget line 4.2\n")
    assert kept.status_code == 303
    decree, notes = await _files(app)
    assert (decree.public, notes.public) == (True, False)
    page = await focal.get(f"/recommendations/{rec_id}")
    assert "The file is attached." in page.text
    assert f'href="/attachments/{decree.id}"' in page.text
    download = await focal.get(f"/attachments/{decree.id}")
    assert download.content == PDF
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"

    deleted = await focal.post(
        f"/attachments/{notes.id}/delete", data={"csrf_token": csrf_token(page)}
    )
    assert deleted.status_code == 303
    assert [f.filename for f in await _files(app)] == ["decree.pdf"]
    await focal.aclose()


async def test_the_public_downloads_public_files_of_validated_updates_only(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    update = await _draft(app, focal, rec_id)
    token = csrf_token(await focal.get(f"/recommendations/{rec_id}"))
    assert (await _attach(focal, update.id, token, "decree.pdf", PDF, public=True)).is_redirect
    assert (await _attach(focal, update.id, token, "memo.txt", b"internal\n")).is_redirect
    decree, memo = await _files(app)
    async with browser(app) as public:
        assert (await public.get(f"/attachments/{decree.id}")).status_code == 404  # a draft's
        coordinator, _ = await signed_in_browser(app, Role.coordinator)
        page = await coordinator.get(f"/recommendations/{rec_id}")
        assert f'href="/attachments/{memo.id}"' in page.text  # the reviewer sees the evidence
        assert (
            await focal.post(
                f"/progress-updates/{update.id}",
                data={
                    "csrf_token": token,
                    "version": str(update.version),
                    "assessment": "in_progress",
                    "narrative": "Bill drafted, with its evidence.",
                    "intent": "submit",
                },
            )
        ).is_redirect
        queue = await coordinator.get("/validation")
        assert f'href="/attachments/{memo.id}"' in queue.text
        async with app.state.sessionmaker() as db:
            row = await db.get_one(ProgressUpdate, update.id)
            row.state = UpdateState.validated
            await db.commit()
        shown = await public.get(f"/recommendations/{rec_id}")
        assert f'href="/attachments/{decree.id}"' in shown.text
        assert f'href="/attachments/{memo.id}"' not in shown.text
        assert (await public.get(f"/attachments/{decree.id}")).content == PDF
        assert (await public.get(f"/attachments/{memo.id}")).status_code == 404
        # A validated update's files are part of the record: no delete button, and a forged
        # delete is refused.
        page = await focal.get(f"/recommendations/{rec_id}")
        assert f'action="/attachments/{decree.id}/delete"' not in page.text
        refused = await focal.post(
            f"/attachments/{decree.id}/delete", data={"csrf_token": csrf_token(page)}
        )
        assert refused.status_code == 409
        assert len(await _files(app)) == 2
        await coordinator.aclose()
    await focal.aclose()


async def test_a_viewer_may_not_attach_and_nothing_is_read(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    update = await _draft(app, focal, corpus.detail_id)
    viewer, _ = await signed_in_browser(app, Role.viewer)
    token = csrf_token(await viewer.get("/account"))
    refused = await _attach(viewer, update.id, token, "decree.pdf", PDF)
    assert refused.status_code == 403
    assert refused.headers["connection"] == "close"
    assert _kept(app) == []
    await focal.aclose()
    await viewer.aclose()


async def test_the_page_takes_a_file_as_large_as_the_api_does(app: FastAPI) -> None:
    """The request body limit of the workspace's upload route is the attachment limit, not the
    2 MB of a form: a 3 MB PDF is kept, one over the limit is named next to the field."""
    corpus = await fill(app, count=4)
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    update = await _draft(app, focal, corpus.detail_id)
    token = csrf_token(await focal.get(f"/recommendations/{corpus.detail_id}"))
    large = PDF + b"%" * (3 * 1024 * 1024)
    assert (await _attach(focal, update.id, token, "budget.pdf", large)).status_code == 303
    too_large = PDF + b"%" * app.state.settings.max_attachment_bytes
    refused = await _attach(focal, update.id, token, "budget.pdf", too_large)
    assert refused.status_code == 422
    assert "larger than rectrack keeps" in refused.text
    await focal.aclose()
