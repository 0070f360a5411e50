"""/clusters and /institutions: lists, new ones, edits with the version shown (a stale edit
says so), taking recommendations out of a cluster, and focal points shown to whom the API
shows accounts."""

import re
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from app.models.cluster import Cluster
from app.models.institution import Institution
from app.models.user import Role
from tests.accounts import make_institution, make_user
from tests.recommendations.factories import create_recommendation
from tests.web.pages import browser, csrf_token, signed_in_browser

_ID = re.compile(r"/(?:clusters|institutions)/([0-9a-f-]{36})$")


async def _created_id(answer: object) -> str:
    location = answer.headers["location"]  # type: ignore[attr-defined]
    found = _ID.search(location)
    assert found, location
    return found.group(1)


async def test_a_coordinator_makes_and_edits_a_cluster(app: FastAPI, client: AsyncClient) -> None:
    recs = [(await create_recommendation(client, paragraph=f"9.{n}"))["id"] for n in range(3)]
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/clusters")
    assert "There are no clusters yet." in page.text
    token = csrf_token(page)
    nameless = await web.post(
        "/clusters", data={"csrf_token": token, "description": "Kept as typed"}
    )
    assert nameless.status_code == 422
    assert 'id="f-name-error"' in nameless.text
    assert "Kept as typed</textarea>" in nameless.text
    made = await web.post("/clusters", data={"csrf_token": token, "name": "Torture law"})
    assert made.status_code == 303
    cluster_id = await _created_id(made)
    # Members come through the API (or the list's bulk step); the page lists and removes them.
    added = await client.post(
        f"/clusters/{cluster_id}/recommendations", json={"recommendation_ids": recs}
    )
    assert added.status_code == 200
    shown = await web.get(f"/clusters/{cluster_id}")
    assert "Recommendations: 3" in shown.text
    assert f'href="/recommendations?cluster={cluster_id}"' in shown.text
    version = re.search(r'name="version" value="(\d+)"', shown.text)
    assert version
    removed = await web.post(
        f"/clusters/{cluster_id}/remove", data={"csrf_token": token, "ids": [recs[0]]}
    )
    assert removed.status_code == 303
    after = await client.get(f"/clusters/{cluster_id}")
    assert sorted(after.json()["recommendation_ids"]) == sorted(recs[1:])
    nothing = await web.post(f"/clusters/{cluster_id}/remove", data={"csrf_token": token})
    assert nothing.status_code == 422
    assert 'id="f-ids-error"' in nothing.text
    # The form showed an old version: the edit is refused and the current values shown.
    stale = await web.post(
        f"/clusters/{cluster_id}",
        data={"csrf_token": token, "version": version.group(1), "name": "Renamed"},
    )
    assert stale.status_code == 409
    assert "Someone else changed this" in stale.text
    assert 'value="Torture law"' in stale.text
    fresh = await web.get(f"/clusters/{cluster_id}")
    current = re.search(r'name="version" value="(\d+)"', fresh.text)
    assert current
    saved = await web.post(
        f"/clusters/{cluster_id}",
        data={"csrf_token": token, "version": current.group(1), "name": "Renamed",
              "archived": "on"},
    )  # fmt: skip
    assert saved.status_code == 303
    api = (await client.get(f"/clusters/{cluster_id}")).json()
    assert (api["name"], api["archived"], api["description"]) == ("Renamed", True, None)
    archived = await web.get("/clusters?archived=true")
    assert "Renamed" in archived.text
    assert "Renamed" not in (await web.get("/clusters")).text
    await web.aclose()


@pytest.mark.parametrize("role", [Role.viewer, Role.focal_point])
async def test_readers_see_clusters_without_forms_and_cannot_post(app: FastAPI, role: Role) -> None:
    async with app.state.sessionmaker() as db, db.begin():
        db.add(Cluster(name="Birth registration", archived=False))
    web, _ = await signed_in_browser(app, role)
    page = await web.get("/clusters")
    assert "Birth registration" in page.text
    assert 'action="/clusters"' not in page.text
    forged = await web.post("/clusters", data={"csrf_token": csrf_token(page), "name": "Mine"})
    assert forged.status_code == 403
    async with app.state.sessionmaker() as db:
        names = (await db.scalars(select(Cluster.name))).all()
    assert names == ["Birth registration"]
    await web.aclose()


async def test_a_coordinator_adds_and_edits_an_institution(app: FastAPI) -> None:
    justice = await make_institution(app, "Ministry of Justice")
    focal = await make_user(app, Role.focal_point, institution_id=justice.id)
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/institutions")
    assert focal.name in page.text  # coordinators may read accounts: focal points are listed
    token = csrf_token(page)
    bad = await web.post(
        "/institutions", data={"csrf_token": token, "name": "", "acronym": "PRS", "kind": "x"}
    )
    assert bad.status_code == 422
    assert 'id="f-name-error"' in bad.text
    assert 'id="f-kind-error"' in bad.text
    assert 'value="PRS"' in bad.text
    made = await web.post(
        "/institutions",
        data={"csrf_token": token, "name": "Prison service", "acronym": "PRS",
              "kind": "agency", "parent_id": str(justice.id)},
    )  # fmt: skip
    assert made.status_code == 303
    prison_id = await _created_id(made)
    shown = await web.get(f"/institutions/{prison_id}")
    assert "Ministry of Justice" in shown.text
    assert "This institution has no focal point yet." in shown.text
    version = re.search(r'name="version" value="(\d+)"', shown.text)
    assert version
    # Below itself: the service's own check, next to the field.
    loop = await web.post(
        f"/institutions/{justice.id}",
        data={"csrf_token": token, "version": "1", "name": "Ministry of Justice",
              "kind": "ministry", "parent_id": prison_id},
    )  # fmt: skip
    assert loop.status_code == 422, loop.text
    assert 'id="f-parent_id-error"' in loop.text
    saved = await web.post(
        f"/institutions/{prison_id}",
        data={"csrf_token": token, "version": version.group(1), "name": "Prison service",
              "kind": "agency"},
    )  # fmt: skip
    assert saved.status_code == 303
    async with app.state.sessionmaker() as db:
        prison = await db.get(Institution, uuid.UUID(prison_id))
        assert prison is not None
        assert (prison.acronym, prison.parent_id) == (None, None)  # emptied fields clear
    stale = await web.post(
        f"/institutions/{prison_id}",
        data={"csrf_token": token, "version": version.group(1), "name": "Old",
              "kind": "agency"},
    )  # fmt: skip
    assert stale.status_code == 409
    await web.aclose()


async def test_viewers_see_institutions_but_no_focal_points_or_forms(app: FastAPI) -> None:
    justice = await make_institution(app, "Ministry of Justice")
    focal = await make_user(app, Role.focal_point, institution_id=justice.id)
    web, _ = await signed_in_browser(app, Role.viewer)
    page = await web.get("/institutions")
    assert "Ministry of Justice" in page.text
    assert focal.email not in page.text
    assert "Focal points" not in page.text
    assert 'action="/institutions"' not in page.text
    detail = await web.get(f"/institutions/{justice.id}")
    assert focal.email not in detail.text
    forged = await web.post(
        f"/institutions/{justice.id}",
        data={"csrf_token": csrf_token(page), "version": "1", "name": "Mine", "kind": "other"},
    )
    assert forged.status_code == 403
    await web.aclose()
    async with browser(app) as anonymous:
        public = await anonymous.get("/institutions")
        assert public.status_code == 200
        assert focal.name not in public.text
        assert (await anonymous.get("/institutions/not-an-id")).status_code == 404
