"""Pages and API decide alike: for every role, an edit control is shown exactly when the API
allows the operation, and a hand-made POST to the page succeeds exactly when the API would."""

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from app.models.user import Role
from tests.accounts import bearer, make_institution, make_user
from tests.web.corpus import fill
from tests.web.pages import browser, csrf_token, sign_in

ROLES = [None, Role.viewer, Role.focal_point, Role.coordinator, Role.admin]


def _allowed(page_answer: Response) -> bool:
    """A page POST went through (303 back to the page), or was refused (403, or /login)."""
    assert page_answer.status_code in (303, 403), page_answer.text[-500:]
    return page_answer.status_code == 303 and "/login" not in page_answer.headers["location"]


async def _page_client(app: FastAPI, client: AsyncClient, role: Role | None) -> dict[str, str]:
    if role is None:
        return {}
    user = await make_user(app, role)
    assert (await sign_in(client, user.email)).status_code == 303
    return bearer(app, user)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_the_priority_form(app: FastAPI, role: Role | None) -> None:
    corpus = await fill(app, count=2)
    rec = corpus.detail_id
    async with browser(app) as client:
        headers = await _page_client(app, client, role)
        current = await client.get(f"/api/v1/recommendations/{rec}")
        api = await client.patch(
            f"/api/v1/recommendations/{rec}", json={"priority": "low"},
            headers={**headers, "If-Match": current.headers["etag"]},
        )  # fmt: skip
        api_allows = api.status_code == 200
        assert api_allows or api.status_code in (401, 403)
        page = await client.get(f"/recommendations/{rec}")
        shown = f'action="/recommendations/{rec}/priority"' in page.text
        version = (await client.get(f"/api/v1/recommendations/{rec}")).json()["version"]
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            f"/recommendations/{rec}/priority",
            data={"csrf_token": token, "version": str(version), "priority": "high"},
        )
        after = (await client.get(f"/api/v1/recommendations/{rec}")).json()["priority"]
    assert shown == api_allows
    assert _allowed(posted) == api_allows
    assert after == ("high" if api_allows else None)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_the_bulk_assignment(app: FastAPI, role: Role | None) -> None:
    corpus = await fill(app, count=2)
    ids = corpus.torture_ids
    async with browser(app) as client:
        headers = await _page_client(app, client, role)
        institution = str((await make_institution(app, "Ministry of Health")).id)
        api = await client.post(
            "/api/v1/assignments/bulk",
            json={"recommendation_ids": ids, "institution_id": institution, "role": "support"},
            headers=headers,
        )
        api_allows = api.status_code == 200
        page = await client.get("/recommendations")
        shown = 'action="/recommendations/bulk"' in page.text
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            "/recommendations/bulk",
            data={"csrf_token": token, "operation": "assign", "ids": ids,
                  "institution_id": institution, "role": "support", "due_date": "2030-01-01"},
        )  # fmt: skip
        found = await client.get("/api/v1/assignments", params={"institution_id": institution})
    assert shown == api_allows
    assert _allowed(posted) == api_allows
    due = [a["due_date"] for a in found.json()["items"]]
    assert due == (["2030-01-01"] if api_allows else [])


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_the_assignment_form(app: FastAPI, role: Role | None) -> None:
    corpus = await fill(app, count=2)
    rec = corpus.torture_ids[0]
    async with browser(app) as client:
        headers = await _page_client(app, client, role)
        health, education = (await make_institution(app), await make_institution(app))
        api = await client.post(
            "/api/v1/assignments", headers=headers,
            json={"recommendation_id": rec, "institution_id": str(health.id), "role": "support"},
        )  # fmt: skip
        api_allows = api.status_code == 201
        assert api_allows or api.status_code in (401, 403)
        page = await client.get(f"/recommendations/{rec}")
        shown = f'action="/recommendations/{rec}/assignments"' in page.text
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            f"/recommendations/{rec}/assignments",
            data={"csrf_token": token, "institution_id": str(education.id), "role": "support"},
        )
        found = await client.get(
            "/api/v1/assignments", params={"institution_id": str(education.id)}
        )
    assert shown == api_allows
    assert _allowed(posted) == api_allows
    assert len(found.json()["items"]) == (1 if api_allows else 0)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_the_progress_update_form(app: FastAPI, role: Role | None) -> None:
    """A focal point here belongs to an institution the recommendation is not assigned to."""
    corpus = await fill(app, count=2)
    rec = corpus.detail_id
    coordinator = bearer(app, corpus.coordinator)
    async with browser(app) as client:
        headers = await _page_client(app, client, role)
        api = await client.post(
            f"/api/v1/recommendations/{rec}/progress-updates", headers=headers,
            json={"assessment": "in_progress"},
        )  # fmt: skip
        api_allows = api.status_code == 201
        assert api_allows or api.status_code in (401, 403)
        page = await client.get(f"/recommendations/{rec}")
        shown = f'action="/recommendations/{rec}/progress-updates"' in page.text
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            f"/recommendations/{rec}/progress-updates",
            data={"csrf_token": token, "assessment": "implemented", "intent": "submit"},
        )
        found = await client.get(
            "/api/v1/progress-updates", params={"recommendation": rec, "state": "submitted"},
            headers=coordinator,
        )  # fmt: skip
    assert shown == api_allows
    assert _allowed(posted) == api_allows
    assert [u["assessment"] for u in found.json()["items"]] == (
        ["implemented"] if api_allows else []
    )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_the_review_form(app: FastAPI, role: Role | None) -> None:
    corpus = await fill(app, count=2)
    rec = corpus.detail_id
    reporter = bearer(app, corpus.focal_point)
    async with browser(app) as client:
        waiting = []
        for _ in range(2):
            made = await client.post(
                f"/api/v1/recommendations/{rec}/progress-updates", headers=reporter,
                json={"assessment": "in_progress"},
            )  # fmt: skip
            update_id = made.json()["id"]
            sent = await client.post(
                f"/api/v1/progress-updates/{update_id}/submit", headers=reporter
            )
            assert sent.status_code == 200, sent.text
            waiting.append(update_id)
        headers = await _page_client(app, client, role)
        api = await client.post(f"/api/v1/progress-updates/{waiting[0]}/validate", headers=headers)
        api_allows = api.status_code == 200
        assert api_allows or api.status_code in (401, 403)
        page = await client.get(f"/recommendations/{rec}")
        shown = f'action="/progress-updates/{waiting[1]}/review"' in page.text
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            f"/progress-updates/{waiting[1]}/review",
            data={"csrf_token": token, "decision": "reject", "comment": "Say more."},
        )
        after = await client.get(f"/api/v1/progress-updates/{waiting[1]}", headers=reporter)
    assert shown == api_allows
    assert _allowed(posted) == api_allows
    assert after.json()["state"] == ("rejected" if api_allows else "submitted")
