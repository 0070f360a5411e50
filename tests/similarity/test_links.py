"""Coordinators link recommendations as duplicates, and apply validated progress to a group."""

import asyncio

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.conftest import ClientFactory
from tests.planning.factories import (
    assign,
    focal_point_headers,
    institution_id,
    report,
    status_of,
    validated,
)
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

UNKNOWN = "00000000-0000-0000-0000-000000000000"


async def _linked(http: AsyncClient, rec_id: str) -> set[str]:
    response = await http.get(f"/recommendations/{rec_id}/duplicates")
    assert response.status_code == 200, response.text
    return set(response.json()["recommendation_ids"])


async def test_link_merge_and_unlink(
    client: AsyncClient, admin: AsyncClient, anonymous: AsyncClient
) -> None:
    a, b, c, d = [(await create_recommendation(client))["id"] for _ in range(4)]
    assert await _linked(anonymous, a) == set()
    response = await client.post(
        f"/recommendations/{a}/duplicates", json={"recommendation_ids": [b]}
    )
    assert response.status_code == 200, response.text
    assert response.json()["recommendation_ids"] == [b]
    await client.post(f"/recommendations/{c}/duplicates", json={"recommendation_ids": [d]})
    # Linking b with c merges the two groups into one: shown on each of them.
    await client.post(f"/recommendations/{b}/duplicates", json={"recommendation_ids": [c]})
    assert await _linked(anonymous, a) == {b, c, d}
    assert await _linked(anonymous, d) == {a, b, c}
    gone = await client.delete(f"/recommendations/{a}/duplicates/{d}")
    assert gone.status_code == 200, gone.text
    assert set(gone.json()["recommendation_ids"]) == {b, c}
    assert await _linked(anonymous, d) == set()
    await client.delete(f"/recommendations/{a}/duplicates/{b}")
    await client.delete(f"/recommendations/{a}/duplicates/{c}")
    # A group of one is no group.
    assert await _linked(anonymous, a) == set()
    assert (await anonymous.get(f"/recommendations/{a}/duplicates")).json()["group_id"] is None
    history = (await admin.get(f"/recommendations/{d}/history")).json()["items"]
    assert [r["action"] for r in history][:2] == ["link_duplicates", "link_duplicates"]
    # What changed, not every member's list: d left the group it had joined.
    left, joined = (
        history[0]["changes"]["duplicate_group"],
        history[1]["changes"]["duplicate_group"],
    )
    assert left["after"] is None
    assert left["before"] == joined["after"]
    trail = (await admin.get("/audit", params={"entity_type": "duplicate_group"})).json()["items"]
    assert {"joined": {"before": [], "after": sorted([c, d])}} in [r["changes"] for r in trail]
    assert {"left": {"before": [], "after": [d]}} in [r["changes"] for r in trail]


async def test_only_live_recommendations_to_a_shared_state_are_linked(
    client: AsyncClient,
) -> None:
    """A validated copy applied across the group would otherwise count in another State's
    figures, or on a recommendation that left the lists."""
    kenya = (await create_recommendation(client, countries=["KEN"]))["id"]
    also_kenya = (await create_recommendation(client, countries=["KEN", "UGA"]))["id"]
    uganda = (await create_recommendation(client, countries=["UGA"]))["id"]
    archived = await create_recommendation(client, countries=["KEN"])
    gone = await client.delete(f"/recommendations/{archived['id']}", headers={"If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    url = f"/recommendations/{kenya}/duplicates"
    for refused, code in ((uganda, "other_state"), (archived["id"], "archived")):
        answer = await client.post(url, json={"recommendation_ids": [also_kenya, refused]})
        assert_problem(answer, 422, "body.recommendation_ids")
        assert answer.json()["errors"][0]["code"] == code
        assert await _linked(client, kenya) == set()  # nothing linked
    assert (await client.post(url, json={"recommendation_ids": [also_kenya]})).status_code == 200


async def test_a_group_cannot_chain_two_states_together(client: AsyncClient) -> None:
    """Linking one pair at a time must not give a group no State all its members share."""
    senegal = (await create_recommendation(client, countries=["SEN"]))["id"]
    both = (await create_recommendation(client, countries=["SEN", "MLI"]))["id"]
    mali = (await create_recommendation(client, countries=["MLI"]))["id"]
    linked = await client.post(
        f"/recommendations/{senegal}/duplicates", json={"recommendation_ids": [both]}
    )
    assert linked.status_code == 200, linked.text
    chained = await client.post(
        f"/recommendations/{mali}/duplicates", json={"recommendation_ids": [both]}
    )
    assert_problem(chained, 422, "body.recommendation_ids")
    assert chained.json()["errors"][0]["code"] == "other_state"
    assert await _linked(client, mali) == set()
    assert await _linked(client, both) == {senegal}


async def test_an_archived_recommendation_is_not_linked_from_its_own_path(
    client: AsyncClient,
) -> None:
    live = (await create_recommendation(client))["id"]
    archived = await create_recommendation(client)
    gone = await client.delete(f"/recommendations/{archived['id']}", headers={"If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    answer = await client.post(
        f"/recommendations/{archived['id']}/duplicates", json={"recommendation_ids": [live]}
    )
    assert_problem(answer, 422, "body.recommendation_ids")
    assert answer.json()["errors"][0]["code"] == "archived"
    assert await _linked(client, live) == set()


async def test_who_may_link(client: AsyncClient, make_client: ClientFactory, app: FastAPI) -> None:
    a, b = [(await create_recommendation(client))["id"] for _ in range(2)]
    body = {"recommendation_ids": [b]}
    anonymous = await make_client()
    assert_problem(await anonymous.post(f"/recommendations/{a}/duplicates", json=body), 401)
    viewer = await make_client(Role.viewer)
    focal = await make_client(headers=await focal_point_headers(app, await institution_id(app)))
    for caller in (viewer, focal):
        assert_problem(await caller.post(f"/recommendations/{a}/duplicates", json=body), 403)
    assert (await client.post(f"/recommendations/{a}/duplicates", json=body)).status_code == 200
    for caller in (viewer, focal):
        assert_problem(await caller.delete(f"/recommendations/{a}/duplicates/{b}"), 403)
    assert_problem(await anonymous.delete(f"/recommendations/{a}/duplicates/{b}"), 401)
    assert await _linked(client, a) == {b}


async def test_bad_links(client: AsyncClient) -> None:
    a, b = [(await create_recommendation(client))["id"] for _ in range(2)]
    url = f"/recommendations/{a}/duplicates"
    assert_problem(await client.post(url, json={"recommendation_ids": [UNKNOWN]}), 422)
    assert_problem(await client.post(url, json={"recommendation_ids": [a]}), 422)
    assert_problem(await client.post(url, json={"recommendation_ids": []}), 422)
    assert_problem(await client.post(url, json={"recommendation_ids": ["x"]}), 422)
    assert_problem(await client.post(url, json={"ids": [b]}), 422)
    assert_problem(
        await client.post(
            f"/recommendations/{UNKNOWN}/duplicates", json={"recommendation_ids": [b]}
        ),
        404,
    )
    assert_problem(await client.delete(f"{url}/{b}"), 404)
    assert await _linked(client, a) == set()


async def test_apply_a_validated_update_to_the_group(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory, admin: AsyncClient
) -> None:
    a, b, c, lone = [(await create_recommendation(client))["id"] for _ in range(4)]
    await client.post(f"/recommendations/{a}/duplicates", json={"recommendation_ids": [b, c]})
    justice = await institution_id(app)
    await assign(client, a, justice)
    draft = await report(client, a, "implemented", narrative="Law adopted", institution_id=justice)
    assert_problem(
        await client.post(f"/progress-updates/{draft['id']}/apply-to-duplicates", json={}), 409
    )
    update = await validated(client, a, "partially_implemented")
    focal = await make_client(headers=await focal_point_headers(app, justice))
    url = f"/progress-updates/{update['id']}/apply-to-duplicates"
    assert_problem(await focal.post(url, json={}), 403)
    assert_problem(await client.post(url, json={"validate": "maybe"}), 422)
    applied = await client.post(url, json={})
    assert applied.status_code == 200, applied.text
    copies = applied.json()["created"]
    assert sorted(c["recommendation_id"] for c in copies) == sorted([b, c])
    assert {c["state"] for c in copies} == {"validated"}
    assert {c["assessment"] for c in copies} == {"partially_implemented"}
    assert await status_of(client, b) == "partially_implemented"
    assert await status_of(client, lone) == "not_started"
    # The same again creates nothing.
    assert (await client.post(url, json={})).json()["created"] == []
    trail = (
        await admin.get("/audit", params={"entity_type": "progress_update", "action": "create"})
    ).json()
    copied = [r for r in trail["items"] if r["changes"].get("copied_from")]
    assert len(copied) == 2


async def test_copies_go_only_to_the_originals_state(app: FastAPI, client: AsyncClient) -> None:
    """A member whose States were edited after it was linked gets no copy of another State's
    validated progress."""
    a, b, c = [(await create_recommendation(client))["id"] for _ in range(3)]
    await client.post(f"/recommendations/{a}/duplicates", json={"recommendation_ids": [b, c]})
    etag = (await client.get(f"/recommendations/{c}")).headers["etag"]
    moved = await client.patch(
        f"/recommendations/{c}", json={"countries": ["UGA"]}, headers={"If-Match": etag}
    )
    assert moved.status_code == 200, moved.text
    update = await validated(client, a, "implemented")
    applied = await client.post(f"/progress-updates/{update['id']}/apply-to-duplicates", json={})
    assert applied.status_code == 200, applied.text
    assert [copy["recommendation_id"] for copy in applied.json()["created"]] == [b]
    assert await status_of(client, c) == "not_started"


async def test_apply_as_submitted_copies(app: FastAPI, client: AsyncClient) -> None:
    a, b = [(await create_recommendation(client))["id"] for _ in range(2)]
    await client.post(f"/recommendations/{a}/duplicates", json={"recommendation_ids": [b]})
    update = await validated(client, a, "implemented")
    url = f"/progress-updates/{update['id']}/apply-to-duplicates"
    applied = await client.post(url, json={"validate": False})
    copies = applied.json()["created"]
    assert [c["state"] for c in copies] == ["submitted"]
    # Submitted copies count for nothing until a validator accepts them.
    assert await status_of(client, b) == "not_started"
    assert (
        await client.post(f"/progress-updates/{copies[0]['id']}/validate", json={})
    ).status_code == 200
    assert await status_of(client, b) == "implemented"


async def test_applications_at_once_copy_once(app: FastAPI, client: AsyncClient) -> None:
    """A double click or a client's retry: the second application sees the first's copies."""
    group = [(await create_recommendation(client))["id"] for _ in range(4)]
    await client.post(
        f"/recommendations/{group[0]}/duplicates", json={"recommendation_ids": group[1:]}
    )
    update = await validated(client, group[0], "implemented")
    url = f"/progress-updates/{update['id']}/apply-to-duplicates"
    answers = await asyncio.gather(
        *(client.post(url, json={"validate": n % 2 == 0}) for n in range(4))
    )
    assert {a.status_code for a in answers} == {200}
    made = [c["recommendation_id"] for a in answers for c in a.json()["created"]]
    assert sorted(made) == sorted(group[1:])  # each other member once, whoever won
