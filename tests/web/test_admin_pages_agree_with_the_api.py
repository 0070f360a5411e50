"""The coordinators' and admins' pages decide as the API does: for every role, a form is shown
exactly when the API allows its operation, and a hand-made POST to the page succeeds exactly
when the API's request does."""

import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import Response

from app.models.user import Role
from tests.accounts import PASSWORD, make_institution
from tests.imports.uhri_files import english
from tests.web.pages import browser, csrf_token
from tests.web.test_pages_agree_with_the_api import ROLES, _page_client

EXPORT = json.dumps(english()).encode()


def _allowed(answer: Response) -> bool:
    """Done (303 to the new thing's page; 200 with a new account's reset link), or refused
    (403, or a redirect to /login)."""
    assert answer.status_code in (200, 303, 403), answer.text[-500:]
    if answer.status_code == 200:
        return 'id="reset-link"' in answer.text
    return answer.status_code == 303 and "/login" not in answer.headers["location"]


@dataclass
class Operation:
    page: str  # where the form is
    action: str  # the form's path
    api: str
    api_json: dict[str, Any] | None
    form: dict[str, str]
    upload: bool = False


def _operations(institution_id: str) -> dict[str, Operation]:
    return {
        "create a cluster": Operation(
            "/clusters", "/clusters", "/api/v1/clusters", {"name": "API"}, {"name": "Page"}
        ),
        "add an institution": Operation(
            "/institutions",
            "/institutions",
            "/api/v1/institutions",
            {"name": "API", "kind": "agency"},
            {"name": "Page", "kind": "agency"},
        ),
        "create an account": Operation(
            "/admin/users",
            "/admin/users",
            "/api/v1/users",
            {"email": "api@example.org", "name": "API", "role": "viewer", "password": PASSWORD},
            {
                "email": "page@example.org",
                "name": "Page",
                "role": "focal_point",
                "institution_id": institution_id,
            },
        ),
        "upload an import": Operation(
            "/imports", "/imports", "/api/v1/imports", None, {}, upload=True
        ),
    }


@pytest.mark.parametrize("operation", ["create a cluster", "add an institution",
                                       "create an account", "upload an import"])  # fmt: skip
@pytest.mark.parametrize("role", ROLES, ids=lambda r: str(r or "anonymous"))
async def test_pages_and_api_agree(app: FastAPI, role: Role | None, operation: str) -> None:
    ministry = await make_institution(app, "Ministry of the Interior")
    op = _operations(str(ministry.id))[operation]
    files = {"file": ("export-full-en.json", EXPORT, "application/json")}
    async with browser(app) as client:
        headers = await _page_client(app, client, role)
        if op.upload:
            api = await client.post(op.api, files=files, headers=headers)
        else:
            api = await client.post(op.api, json=op.api_json, headers=headers)
        assert api.status_code in (201, 202, 401, 403), api.text
        api_allows = api.status_code in (201, 202)
        page = await client.get(op.page)
        shown = f'method="post" action="{op.action}"' in page.text
        token = csrf_token(page if "csrf_token" in page.text else await client.get("/login"))
        posted = await client.post(
            op.action, data={"csrf_token": token, **op.form}, files=files if op.upload else None
        )
    assert shown == api_allows
    assert _allowed(posted) == api_allows
