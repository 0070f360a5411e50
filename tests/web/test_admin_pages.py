"""/admin/users and /admin/tokens: what admins do to accounts and tokens through the pages,
with the API's services, and what coordinators (who may read accounts) and others may not."""

import html
import re
import uuid

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.models.user import ApiToken, Role, TokenScope, User
from app.two_factor import service as two_factor
from tests.accounts import make_api_token, make_institution, make_user
from tests.web.pages import browser, csrf_token, signed_in_browser, with_second_factor

_LINK = re.compile(r'id="reset-link"[^>]*>([^<]+)</textarea>')
_VERSION = re.compile(r'name="version" value="(\d+)"')


async def _user(app: FastAPI, email: str) -> User:
    async with app.state.sessionmaker() as db:
        user: User = (await db.scalars(select(User).where(User.email == email))).one()
    return user


async def test_an_admin_creates_an_account_and_hands_over_its_link(app: FastAPI) -> None:
    ministry = await make_institution(app, "Ministry of Health")
    web, _ = await signed_in_browser(app, Role.admin)
    page = await web.get("/admin/users")
    token = csrf_token(page)
    bad = await web.post(
        "/admin/users",
        data={"csrf_token": token, "email": "not an address", "name": "Amina Diallo",
              "role": "focal_point"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="f-email-error"' in bad.text
    assert 'value="Amina Diallo"' in bad.text
    homeless = await web.post(
        "/admin/users",
        data={"csrf_token": token, "email": "amina@example.org", "name": "Amina Diallo",
              "role": "focal_point"},
    )  # fmt: skip
    assert homeless.status_code == 422
    assert 'id="f-institution_id-error"' in homeless.text
    made = await web.post(
        "/admin/users",
        data={"csrf_token": token, "email": "Amina@Example.org", "name": "Amina Diallo",
              "role": "focal_point", "institution_id": str(ministry.id)},
    )  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "no-store"
    found = _LINK.search(made.text)
    assert found
    link = html.unescape(found.group(1))
    person = await _user(app, "amina@example.org")
    assert (person.role, person.institution_id) == (Role.focal_point, ministry.id)
    async with browser(app) as stranger:
        reset = await stranger.get(link.removeprefix("http://test"), follow_redirects=True)
        assert reset.status_code == 200
        assert 'name="new_password"' in reset.text
    again = await web.post(
        "/admin/users",
        data={"csrf_token": token, "email": "amina@example.org", "name": "Other",
              "role": "viewer"},
    )  # fmt: skip
    assert again.status_code == 422
    assert "An account with this email address exists already." in again.text
    await web.aclose()


async def test_an_admin_changes_and_deactivates_an_account(app: FastAPI) -> None:
    their_web, person = await signed_in_browser(app, Role.viewer)
    _, secret = await make_api_token(app, person, TokenScope.read)
    web, me = await signed_in_browser(app, Role.admin)
    page = await web.get(f"/admin/users/{person.id}")
    token = csrf_token(page)
    shown = _VERSION.search(page.text)
    assert shown
    saved = await web.post(
        f"/admin/users/{person.id}",
        data={"csrf_token": token, "version": shown.group(1), "name": "Renamed",
              "role": "coordinator"},
    )  # fmt: skip
    assert saved.status_code == 303
    changed = await _user(app, person.email)
    assert (changed.name, changed.role, changed.active) == ("Renamed", Role.coordinator, False)
    # Deactivated (the box was not ticked): their session and API token end.
    assert (await their_web.get("/account")).status_code == 303
    async with browser(app) as api:
        answer = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 401
    stale = await web.post(
        f"/admin/users/{person.id}",
        data={"csrf_token": token, "version": shown.group(1), "name": "Again", "role": "viewer",
              "active": "on"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else changed this" in stale.text
    # The last active admin cannot demote themself.
    mine = await web.get(f"/admin/users/{me.id}")
    mine_version = _VERSION.search(mine.text)
    assert mine_version
    demoted = await web.post(
        f"/admin/users/{me.id}",
        data={"csrf_token": token, "version": mine_version.group(1), "name": me.name,
              "role": "viewer", "active": "on"},
    )  # fmt: skip
    assert demoted.status_code == 422
    assert 'id="f-role-error"' in demoted.text
    assert (await _user(app, me.email)).role is Role.admin
    await web.aclose()
    await their_web.aclose()


async def test_reset_link_unlock_and_second_factor_removal(app: FastAPI) -> None:
    person = await make_user(app, Role.coordinator)
    await with_second_factor(app, person)
    web, _ = await signed_in_browser(app, Role.admin)
    page = await web.get(f"/admin/users/{person.id}")
    assert "Remove the second factor" in page.text
    token = csrf_token(page)
    link = await web.post(f"/admin/users/{person.id}/reset-link", data={"csrf_token": token})
    assert link.status_code == 200
    assert link.headers["cache-control"] == "no-store"
    assert _LINK.search(link.text)
    unlocked = await web.post(f"/admin/users/{person.id}/unlock", data={"csrf_token": token})
    assert unlocked.status_code == 303
    removed = await web.post(
        f"/admin/users/{person.id}/two-factor/remove", data={"csrf_token": token}
    )
    assert removed.status_code == 303
    async with app.state.sessionmaker() as db:
        assert not await two_factor.is_enrolled(db, person.id)
    assert "Remove the second factor" not in (await web.get(f"/admin/users/{person.id}")).text
    await web.aclose()


async def test_coordinators_read_accounts_but_change_nothing(app: FastAPI) -> None:
    other = await make_user(app, Role.viewer)
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/admin/users")
    assert page.status_code == 200
    assert other.email in page.text
    assert 'action="/admin/users"' not in page.text.replace(
        'method="get" action="/admin/users"', ""
    )
    detail = await web.get(f"/admin/users/{other.id}")
    assert detail.status_code == 200
    assert "reset-link" not in detail.text
    token = csrf_token(page)
    for path in ("/admin/users", f"/admin/users/{other.id}", f"/admin/users/{other.id}/reset-link"):
        sent = {"csrf_token": token, "email": "x@example.org", "name": "X", "role": "admin"}
        refused = await web.post(path, data=sent | {"version": "1"})
        assert refused.status_code == 403, path
    assert (await _user(app, other.email)).role is Role.viewer
    assert (await web.get("/admin/tokens")).status_code == 403
    assert 'href="/admin/tokens"' not in page.text
    await web.aclose()


@pytest.mark.parametrize("role", [Role.viewer, Role.focal_point])
async def test_others_see_no_accounts(app: FastAPI, role: Role) -> None:
    web, _ = await signed_in_browser(app, role)
    assert (await web.get("/admin/users")).status_code == 403
    assert (await web.get("/admin/tokens")).status_code == 403
    await web.aclose()
    async with browser(app) as anonymous:
        answer = await anonymous.get("/admin/users")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login")


async def test_an_admin_sees_every_token_and_revokes_one(app: FastAPI) -> None:
    owner = await make_user(app, Role.focal_point)
    token_id, secret = await make_api_token(app, owner, TokenScope.write)
    web, _ = await signed_in_browser(app, Role.admin)
    page = await web.get("/admin/tokens")
    assert "write token" in page.text
    assert owner.name in page.text
    revoked = await web.post(
        f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert revoked.status_code == 303
    async with app.state.sessionmaker() as db:
        assert (await db.get(ApiToken, token_id)).revoked_at is not None
    async with browser(app) as api:
        answer = await api.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 401
    missing = await web.post(
        f"/admin/tokens/{uuid.uuid4()}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert missing.status_code == 404
    await web.aclose()
