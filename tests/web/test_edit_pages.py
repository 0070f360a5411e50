"""The recommendation page's remaining forms: edit an action's fields and an indicator, archive
and restore the recommendation, add it to a cluster; who may, and what a stale form gets."""

import re
import uuid

from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy import select

from app.models.action import Action
from app.models.cluster import Cluster
from app.models.indicator import Indicator
from app.models.recommendation import Recommendation
from app.models.user import Role
from tests.web.corpus import fill
from tests.web.pages import csrf_token, signed_in_browser


def _version(page: Response, action: str) -> str:
    form = page.text[page.text.index(f'action="{action}"') :]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found, f"no version in the form of {action}"
    return found.group(1)


async def _planned(app: FastAPI, client: AsyncClient, rec_id: str) -> tuple[Action, Indicator]:
    page = await client.get(f"/recommendations/{rec_id}")
    token = csrf_token(page)
    planned = await client.post(
        f"/recommendations/{rec_id}/actions",
        data={"csrf_token": token, "title": "Train prison staff", "due_date": "2027-03-31",
              "description": "Two sessions a year."},
    )  # fmt: skip
    assert planned.status_code == 303
    defined = await client.post(
        f"/recommendations/{rec_id}/indicators",
        data={"csrf_token": token, "name": "Staff trained", "baseline": "0", "target": "200"},
    )
    assert defined.status_code == 303
    app = client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessionmaker() as db:
        action = (
            await db.scalars(select(Action).where(Action.title == "Train prison staff"))
        ).one()
        indicator = (
            await db.scalars(select(Indicator).where(Indicator.name == "Staff trained"))
        ).one()
    return action, indicator


async def test_a_coordinator_edits_an_action_and_an_indicator(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.torture_ids[0]
    client, _ = await signed_in_browser(app, Role.coordinator)
    action, indicator = await _planned(app, client, rec_id)
    path = f"/recommendations/{rec_id}"
    page = await client.get(path)
    token = csrf_token(page)
    version = _version(page, f"/actions/{action.id}")
    bad = await client.post(
        f"/actions/{action.id}",
        data={"csrf_token": token, "version": version, "recommendation_id": rec_id,
              "title": "Train prison and police staff", "due_date": "31/03/2028"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert f'id="f-edit-action-{action.id}-due_date-error"' in bad.text
    assert 'value="Train prison and police staff"' in bad.text  # what was typed is kept
    saved = await client.post(
        f"/actions/{action.id}",
        data={"csrf_token": token, "version": version, "recommendation_id": rec_id,
              "title": "Train prison and police staff", "due_date": "2028-03-31"},
    )  # fmt: skip
    assert saved.status_code == 303
    async with app.state.sessionmaker() as db:
        changed = await db.get_one(Action, action.id)
    assert changed.title == "Train prison and police staff"
    assert str(changed.due_date) == "2028-03-31"
    assert changed.description is None  # the emptied field is cleared
    # The same form again, with the version it showed: someone saved meanwhile.
    stale = await client.post(
        f"/actions/{action.id}",
        data={"csrf_token": token, "version": version, "recommendation_id": rec_id,
              "title": "Something else"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert 'value="Train prison and police staff"' in stale.text  # the current values

    page = await client.get(path)
    version = _version(page, f"/indicators/{indicator.id}")
    not_a_number = await client.post(
        f"/indicators/{indicator.id}",
        data={"csrf_token": token, "version": version, "recommendation_id": rec_id,
              "name": "Staff trained", "target": "many"},
    )  # fmt: skip
    assert not_a_number.status_code == 422
    assert f'id="f-edit-indicator-{indicator.id}-target-error"' in not_a_number.text
    saved = await client.post(
        f"/indicators/{indicator.id}",
        data={"csrf_token": token, "version": version, "recommendation_id": rec_id,
              "name": "Staff trained in human rights", "baseline": "10", "target": "250,5",
              "unit": "people"},
    )  # fmt: skip
    assert saved.status_code == 303
    async with app.state.sessionmaker() as db:
        measured = await db.get_one(Indicator, indicator.id)
    assert (measured.name, measured.baseline, measured.target, measured.unit) == (
        "Staff trained in human rights", 10, 250.5, "people",
    )  # fmt: skip
    await client.aclose()


async def test_archive_restore_and_add_to_a_cluster(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    client, _ = await signed_in_browser(app, Role.coordinator)
    path = f"/recommendations/{rec_id}"
    page = await client.get(path)
    token = csrf_token(page)
    created = await client.post("/clusters", data={"csrf_token": token, "name": "Detention"})
    assert created.status_code == 303
    async with app.state.sessionmaker() as db:
        cluster = (await db.scalars(select(Cluster).where(Cluster.name == "Detention"))).one()
    page = await client.get(path)
    unknown = await client.post(
        f"{path}/clusters", data={"csrf_token": token, "cluster_id": str(uuid.uuid4())}
    )
    assert unknown.status_code == 422
    assert 'id="f-cluster-cluster_id-error"' in unknown.text
    added = await client.post(
        f"{path}/clusters", data={"csrf_token": token, "cluster_id": str(cluster.id)}
    )
    assert added.status_code == 303
    shown = await client.get(path)
    assert "The recommendation is in the cluster." in shown.text
    assert "Detention" in shown.text
    archived = await client.post(
        f"{path}/archived",
        data={"csrf_token": token, "version": _version(shown, f"{path}/archived"),
              "archived": "true"},
    )  # fmt: skip
    assert archived.status_code == 303
    async with app.state.sessionmaker() as db:
        assert (await db.get_one(Recommendation, uuid.UUID(rec_id))).archived is True
    shown = await client.get(path)
    assert "Restore this recommendation" in shown.text
    restored = await client.post(
        f"{path}/archived",
        data={"csrf_token": token, "version": _version(shown, f"{path}/archived"),
              "archived": "false"},
    )  # fmt: skip
    assert restored.status_code == 303
    async with app.state.sessionmaker() as db:
        assert (await db.get_one(Recommendation, uuid.UUID(rec_id))).archived is False
    await client.aclose()


async def test_a_focal_point_sees_none_of_these_forms_and_is_refused(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    coordinator, _ = await signed_in_browser(app, Role.coordinator)
    action, indicator = await _planned(app, coordinator, rec_id)
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    page = await focal.get(f"/recommendations/{rec_id}")
    for form in (
        f"/actions/{action.id}",
        f"/indicators/{indicator.id}",
        f"/recommendations/{rec_id}/archived",
        f"/recommendations/{rec_id}/clusters",
    ):
        assert f'action="{form}"' not in page.text
        refused = await focal.post(
            form, data={"csrf_token": csrf_token(page), "version": "1", "title": "Mine now",
                        "name": "Mine now", "archived": "true", "recommendation_id": rec_id},
        )  # fmt: skip
        assert refused.status_code == 403, form
    async with app.state.sessionmaker() as db:
        assert (await db.get_one(Action, action.id)).title == "Train prison staff"
        assert (await db.get_one(Recommendation, uuid.UUID(rec_id))).archived is False
    await coordinator.aclose()
    await focal.aclose()
