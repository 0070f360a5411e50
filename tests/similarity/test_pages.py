"""The workspace's near-duplicates: the list on a recommendation's page, linking from there,
and /duplicates?country=, where a coordinator puts a group into a cluster in one step."""

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from app.similarity.schemas import MAX_LINKED
from tests.recommendations.factories import create_recommendation
from tests.similarity.test_similar import SCHOOLS, TORTURE, TORTURE_EDITED
from tests.web.pages import browser, csrf_token, signed_in_browser


async def test_similar_list_and_linking_on_the_detail_page(
    app: FastAPI, client: AsyncClient
) -> None:
    one = await create_recommendation(client, text={"en": TORTURE}, paragraph="11")
    two = await create_recommendation(client, text={"en": TORTURE_EDITED}, paragraph="12")
    await create_recommendation(client, text={"en": SCHOOLS}, paragraph="13")
    async with browser(app) as public:
        page = await public.get(f"/recommendations/{one['id']}")
    assert page.status_code == 200
    assert "Similar recommendations" in page.text
    assert f'href="/recommendations/{two["id"]}"' in page.text
    assert "para. 13" not in page.text
    assert "Link as a duplicate" not in page.text  # the public reads; it never links
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get(f"/recommendations/{one['id']}")
    assert "Link as a duplicate" in page.text
    linked = await web.post(
        f"/recommendations/{one['id']}/duplicates",
        data={"csrf_token": csrf_token(page), "other": two["id"]},
    )
    assert linked.status_code == 303
    shown = await client.get(f"/recommendations/{two['id']}/duplicates")
    assert shown.json()["recommendation_ids"] == [one["id"]]
    page = await web.get(f"/recommendations/{two['id']}")
    assert "Linked as duplicates" in page.text
    unlinked = await web.post(
        f"/recommendations/{two['id']}/duplicates/{one['id']}/unlink",
        data={"csrf_token": csrf_token(page)},
    )
    assert unlinked.status_code == 303
    assert (await client.get(f"/recommendations/{two['id']}/duplicates")).json()[
        "recommendation_ids"
    ] == []


async def test_a_viewer_may_not_link(app: FastAPI, client: AsyncClient) -> None:
    one = await create_recommendation(client, text={"en": TORTURE})
    two = await create_recommendation(client, text={"en": TORTURE})
    web, _ = await signed_in_browser(app, Role.viewer)
    page = await web.get(f"/recommendations/{one['id']}")
    assert "Link as a duplicate" not in page.text
    refused = await web.post(
        f"/recommendations/{one['id']}/duplicates",
        data={"csrf_token": csrf_token(page), "other": two["id"]},
    )
    assert refused.status_code == 403
    assert (await client.get(f"/recommendations/{one['id']}/duplicates")).json()[
        "recommendation_ids"
    ] == []


async def test_a_group_goes_into_a_new_cluster_in_one_step(
    app: FastAPI, client: AsyncClient
) -> None:
    a = await create_recommendation(client, text={"en": TORTURE}, paragraph="21")
    b = await create_recommendation(client, text={"en": TORTURE_EDITED}, paragraph="22")
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/duplicates", params={"country": "KEN"})
    assert page.status_code == 200
    assert "para. 21" in page.text
    assert "para. 22" in page.text
    assert "Put them into the cluster" in page.text
    done = await web.post(
        "/duplicates/group",
        data={
            "csrf_token": csrf_token(page), "country": "KEN", "ids": [a["id"], b["id"]],
            "new_cluster": "Torture, twice", "operation": "cluster",
        },
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"].endswith("/duplicates?country=KEN")
    clusters = (await client.get("/clusters")).json()["items"]
    assert [(c["name"], c["recommendations_count"]) for c in clusters] == [("Torture, twice", 2)]
    nothing = await web.post(
        "/duplicates/group",
        data={"csrf_token": csrf_token(page), "country": "KEN", "ids": [a["id"], b["id"]],
              "operation": "cluster"},
    )  # fmt: skip
    assert nothing.status_code == 303
    assert len((await client.get("/clusters")).json()["items"]) == 1
    fr = await web.get("/duplicates", params={"country": "KEN"}, headers={"Accept-Language": "fr"})
    assert "Doublons" in fr.text
    unknown = await web.get("/duplicates", params={"country": "XXX"})
    assert unknown.status_code == 200
    assert "Choose a State from the list." in unknown.text


async def test_a_group_larger_than_one_link_call_is_linked_from_the_page(
    app: FastAPI, client: AsyncClient
) -> None:
    # The API links MAX_LINKED recommendations per call; the page links a larger group in steps.
    ids = [
        (await create_recommendation(client, text={"en": f"{TORTURE} ({n})"}))["id"]
        for n in range(MAX_LINKED + 2)
    ]
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/duplicates", params={"country": "KEN"})
    done = await web.post(
        "/duplicates/group",
        data={"csrf_token": csrf_token(page), "country": "KEN", "ids": ids, "operation": "link"},
    )
    assert done.status_code == 303
    linked = (await client.get(f"/recommendations/{ids[-1]}/duplicates")).json()
    assert sorted(linked["recommendation_ids"]) == sorted(ids[:-1])
    after = await web.get(done.headers["location"])
    assert f"Linked as duplicates: {MAX_LINKED + 2}." in after.text


async def test_a_group_step_with_a_bad_id_changes_nothing(
    app: FastAPI, client: AsyncClient
) -> None:
    a = await create_recommendation(client, text={"en": TORTURE})
    web, _ = await signed_in_browser(app, Role.coordinator)
    page = await web.get("/duplicates", params={"country": "KEN"})
    refused = await web.post(
        "/duplicates/group",
        data={"csrf_token": csrf_token(page), "country": "KEN", "ids": [a["id"], "not-an-id"],
              "operation": "link"},
    )  # fmt: skip
    assert refused.status_code == 303
    after = await web.get(refused.headers["location"])
    assert "The group could not be changed; nothing was changed." in after.text
    assert (await client.get(f"/recommendations/{a['id']}/duplicates")).json()[
        "recommendation_ids"
    ] == []
