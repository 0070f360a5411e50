"""SDG suggestions: what is suggested, accepting (a tag, as PATCH adds it) and rejecting."""

import asyncio
import uuid
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.auth.principal import Principal
from app.models.suggestion import SdgSuggestVector
from app.models.user import Role
from app.recommendations.service import get_recommendation
from app.suggestions import index
from app.suggestions.rebuild import rebuild
from app.suggestions.service import accept
from tests.accounts import make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.recommendations.denormalized import tally_beside_recount
from tests.recommendations.factories import create_recommendation

# Each target's tagged recommendations, in words like UHRI's.
CORPUS = {
    "16.2": [
        "Combat the sale and trafficking of children and their sexual exploitation",
        "End violence against children, including corporal punishment and abuse in schools",
        "Protect children from trafficking, abuse and exploitation, and prosecute perpetrators",
    ],
    "5.2": [
        "Eliminate violence against women, including domestic violence and sexual violence",
        "Adopt a law criminalising domestic violence and marital rape against women",
    ],
    "4.1": [
        "Ensure free and compulsory primary and secondary education for all girls and boys",
        "Increase school enrolment and completion rates in primary education",
    ],
    "16.10": [
        "Guarantee freedom of expression and protect journalists and human rights defenders",
        "Repeal laws that restrict freedom of expression and access to information",
    ],
}
# Target 6.1's own words (seeds/sdg_targets.csv); nothing in CORPUS is tagged 6.1.
WATER = (
    "By 2030, achieve universal and equitable access to safe and affordable drinking water for all"
)


async def _corpus(app: FastAPI, client: AsyncClient) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {}
    for code, texts in CORPUS.items():
        for text in texts:
            rec = await create_recommendation(client, text={"en": text}, sdg_targets=[code])
            ids.setdefault(code, []).append(rec["id"])
    await _rebuild(app)
    return ids


async def _rebuild(app: FastAPI) -> None:
    async with app.state.sessionmaker() as session, session.begin():
        await rebuild(session, workers=1)


async def _suggested(client: AsyncClient, rec_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/recommendations/{rec_id}/suggestions")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["sdg_targets"]
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True)
    return items


async def test_a_targets_own_words_get_that_target_first(app: FastAPI, client: AsyncClient) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    first = (await _suggested(client, rec["id"]))[0]
    assert first["code"] == "6.1"
    assert first["goal"] == 6
    assert {"kind": "target_text", "lang": "en"}.items() <= first["because"][0].items()


async def test_a_targets_own_words_beat_a_corpus_that_points_elsewhere(
    app: FastAPI, client: AsyncClient
) -> None:
    # Many water texts tagged 6.2 (sanitation) and none 6.1: the blend alone would put 6.2 first
    # (its centroid and goal 6 both agree), but a text in 6.1's own words is 6.1.
    for text in (
        "Ensure access to safe drinking water and sanitation for all",
        "Achieve universal and equitable access to drinking water and sanitation",
        "Guarantee affordable drinking water and adequate sanitation for all in rural areas",
        "Improve access to safe water and sanitation and hygiene for all",
    ):
        await create_recommendation(client, text={"en": text}, sdg_targets=["6.2"])
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    codes = [item["code"] for item in await _suggested(client, rec["id"])]
    assert codes[:2] == ["6.1", "6.2"]


async def test_tagged_neighbours_lead_and_are_named(app: FastAPI, client: AsyncClient) -> None:
    ids = await _corpus(app, client)
    rec = await create_recommendation(
        client, text={"en": "Combat the trafficking and sexual exploitation of children"}
    )
    first = (await _suggested(client, rec["id"]))[0]
    assert first["code"] == "16.2"
    named = {r["recommendation_id"] for r in first["because"] if r["kind"] == "recommendation"}
    assert named
    assert named <= set(ids["16.2"])


async def test_tags_it_has_are_not_suggested(app: FastAPI, client: AsyncClient) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER}, sdg_targets=["6.1"])
    assert "6.1" not in {item["code"] for item in await _suggested(client, rec["id"])}


async def test_a_rejected_code_never_returns(app: FastAPI, client: AsyncClient) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    response = await client.post(f"/recommendations/{rec['id']}/suggestions/6.1/reject")
    assert response.status_code == 204, response.text
    assert "6.1" not in {item["code"] for item in await _suggested(client, rec["id"])}
    # Nor after the index is rebuilt, nor when rejected twice.
    await _rebuild(app)
    again = await client.post(f"/recommendations/{rec['id']}/suggestions/6.1/reject")
    assert again.status_code == 204
    assert "6.1" not in {item["code"] for item in await _suggested(client, rec["id"])}
    history = (await client.get(f"/recommendations/{rec['id']}/history")).json()["items"]
    assert [h["action"] for h in history].count("reject_sdg_suggestion") == 1
    # People decide: PATCH may still tag it.
    patched = await client.patch(
        f"/recommendations/{rec['id']}",
        json={"sdg_targets": ["6.1"]},
        headers={"If-Match": f'"{rec["version"]}"'},
    )
    assert patched.status_code == 200, patched.text


async def test_accept_adds_the_tag_and_moves_progress(app: FastAPI, client: AsyncClient) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    goal_6 = (await client.get("/progress/sdgs")).json()["goals"][5]
    assert goal_6["goal"] == 6
    assert goal_6["recommendations"] == 0

    response = await client.post(f"/recommendations/{rec['id']}/suggestions/6.1/accept")
    assert response.status_code == 200, response.text
    assert response.json()["sdg_targets"] == ["6.1"]
    assert response.json()["sdg_goals"] == [6]
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'

    tally, recount = await tally_beside_recount(app)
    assert tally == recount
    progress = (await client.get("/progress/sdgs")).json()
    assert progress["goals"][5]["recommendations"] == 1
    by_target = (await client.get("/progress/sdgs/6")).json()
    assert any(
        row["target"] == "6.1" and row["recommendations"] == 1 for row in by_target["targets"]
    )
    assert "6.1" not in {item["code"] for item in await _suggested(client, rec["id"])}
    history = (await client.get(f"/recommendations/{rec['id']}/history")).json()["items"]
    assert history[0]["action"] == "update"
    assert history[0]["changes"]["sdg_targets"] == {"before": [], "after": ["6.1"]}

    # Accepting again changes nothing.
    again = await client.post(f"/recommendations/{rec['id']}/suggestions/6.1/accept")
    assert again.status_code == 200
    assert again.json()["version"] == response.json()["version"]


async def test_accept_builds_on_an_edit_committed_after_it_read(
    app: FastAPI, client: AsyncClient
) -> None:
    # Accept takes no If-Match: an edit that another request commits between accept's read and
    # its write is kept, not overwritten, and accept does not answer 412.
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER}, sdg_targets=["16.2"])
    admin = await make_user(app, Role.admin)
    async with app.state.sessionmaker() as session, session.begin():
        stale = await get_recommendation(session, uuid.UUID(rec["id"]))
        assert stale is not None
        patched = await client.patch(
            f"/recommendations/{rec['id']}",
            json={"sdg_targets": ["16.2", "5.2"], "priority": "high"},
            headers={"If-Match": f'"{rec["version"]}"'},
        )
        assert patched.status_code == 200, patched.text
        actor = Principal(user=admin, role=Role.admin, api_token_id=None, client=None)
        accepted = await accept(session, stale, "6.1", actor)
        assert accepted.version == rec["version"] + 2
    after = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert after["sdg_targets"] == ["5.2", "6.1", "16.2"]
    assert after["priority"] == "high"
    tally, recount = await tally_beside_recount(app)
    assert tally == recount


async def test_accept_feeds_the_index(app: FastAPI, client: AsyncClient) -> None:
    await _corpus(app, client)
    first = await create_recommendation(
        client, text={"en": "Provide clean water to rural villages"}
    )
    await client.post(f"/recommendations/{first['id']}/suggestions/6.1/accept")
    rec = await create_recommendation(client, text={"en": "Provide clean water to rural villages"})
    top = (await _suggested(client, rec["id"]))[0]
    assert top["code"] == "6.1"
    assert first["id"] in {r["recommendation_id"] for r in top["because"]}


async def _centroid(app: FastAPI, code: str) -> tuple[int, int]:
    """(documents, features) of the English centroid of a target."""
    async with app.state.sessionmaker() as session:
        row = await session.get(SdgSuggestVector, ("en", "target", code))
        assert row is not None
        return row.documents, len(row.indices) // 4


async def test_edits_move_a_recommendation_in_and_out_of_the_index(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    text = {"en": "Provide clean water and sanitation to rural villages"}
    tagged = await create_recommendation(client, text=text, sdg_targets=["6.1"])
    # Created after the rebuild: creating puts it in, as accepting does.
    accepted = await create_recommendation(client, text=text)
    response = await client.post(f"/recommendations/{accepted['id']}/suggestions/6.1/accept")
    assert response.status_code == 200, response.text
    assert (await _centroid(app, "6.1"))[0] == 2
    probe = await create_recommendation(client, text=text)

    async def reasons() -> set[str]:
        items = {i["code"]: i for i in await _suggested(client, probe["id"])}
        return {r.get("recommendation_id") for r in items.get("6.1", {"because": []})["because"]}

    assert accepted["id"] in await reasons()
    etag = f'"{response.json()["version"]}"'
    # Taking the tag away takes it out of the centroid and out of the reasons.
    untagged = await client.patch(
        f"/recommendations/{accepted['id']}", json={"sdg_targets": []}, headers={"If-Match": etag}
    )
    assert untagged.status_code == 200, untagged.text
    assert (await _centroid(app, "6.1"))[0] == 1
    assert accepted["id"] not in await reasons()
    # A PATCH that adds a tag puts it in, as accept does; archiving takes it out; restoring back.
    etag = untagged.headers["etag"]
    for change, documents in (({"sdg_targets": ["6.1"]}, 2), ({"archived": True}, 1),
                              ({"archived": False}, 2)):  # fmt: skip
        done = await client.patch(
            f"/recommendations/{accepted['id']}", json=change, headers={"If-Match": etag}
        )
        assert done.status_code == 200, done.text
        etag = done.headers["etag"]
        assert (await _centroid(app, "6.1"))[0] == documents, change
    # A rebuild agrees on what the edits left.
    await _rebuild(app)
    assert (await _centroid(app, "6.1"))[0] == 2  # `accepted` and `tagged`
    assert tagged["id"] in await reasons()


async def test_creating_and_deleting_move_a_recommendation_in_and_out(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    documents = (await _centroid(app, "16.2"))[0]
    rec = await create_recommendation(
        client, text={"en": "Stop the trafficking of children"}, sdg_targets=["16.2"]
    )
    assert (await _centroid(app, "16.2"))[0] == documents + 1
    gone = await client.delete(
        f"/recommendations/{rec['id']}", headers={"If-Match": f'"{rec["version"]}"'}
    )
    assert gone.status_code == 204, gone.text
    assert (await _centroid(app, "16.2"))[0] == documents
    etag = (await client.get(f"/recommendations/{rec['id']}")).headers["etag"]
    back = await client.patch(
        f"/recommendations/{rec['id']}", json={"archived": False}, headers={"If-Match": etag}
    )
    assert back.status_code == 200, back.text
    assert (await _centroid(app, "16.2"))[0] == documents + 1
    await _rebuild(app)
    assert (await _centroid(app, "16.2"))[0] == documents + 1


async def test_concurrent_edits_of_one_centroid_both_count(
    app: FastAPI, client: AsyncClient
) -> None:
    """Two transactions adding to one centroid take turns: the second reads the first's sum
    (before, it read the old one and its write replaced the first's)."""
    await _corpus(app, client)
    first = await create_recommendation(client, text={"en": "Clean water in villages"})
    await client.post(f"/recommendations/{first['id']}/suggestions/6.1/accept")
    text = {"en": "Provide clean water to schools"}
    a, b = [uuid.UUID((await create_recommendation(client, text=text))["id"]) for _ in "ab"]
    water = index.Contribution(text, frozenset({"6.1", "g6"}))
    async with app.state.sessionmaker() as one:
        await index.replace(one, a, None, water)
        await one.flush()

        async def second() -> None:
            async with app.state.sessionmaker() as two, two.begin():
                await index.replace(two, b, None, water)

        waiting = asyncio.create_task(second())
        await asyncio.sleep(0.5)  # the second runs as far as it can
        await one.commit()
        await waiting
    assert (await _centroid(app, "6.1"))[0] == 3


async def test_an_archived_recommendation_is_not_named_as_a_reason(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    water = {"en": "Provide clean water to rural villages"}
    first = await create_recommendation(client, text=water)
    await client.post(f"/recommendations/{first['id']}/suggestions/6.1/accept")
    second = await create_recommendation(client, text=water, sdg_targets=["6.1"])
    archived = await client.delete(f"/recommendations/{first['id']}", headers={"If-Match": '"2"'})
    assert archived.status_code == 204, archived.text
    rec = await create_recommendation(client, text=water)
    named = {
        r.get("recommendation_id") for item in await _suggested(client, rec["id"])
        for r in item["because"]
    }  # fmt: skip
    assert second["id"] in named  # reasons are given, just not the archived one
    assert first["id"] not in named


async def test_only_coordinators_and_admins_decide(
    app: FastAPI, client: AsyncClient, admin: AsyncClient, make_client: ClientFactory
) -> None:
    rec = await create_recommendation(client, text={"en": WATER})
    for action in ("accept", "reject"):
        path = f"/recommendations/{rec['id']}/suggestions/6.1/{action}"
        for role in (Role.viewer, Role.focal_point):
            assert_problem(await (await make_client(role)).post(path), 403)
        assert_problem(await (await make_client()).post(path), 401)
    assert (
        await admin.post(f"/recommendations/{rec['id']}/suggestions/6.2/reject")
    ).status_code == 204
    viewer = await make_client(Role.viewer)
    assert (await viewer.get(f"/recommendations/{rec['id']}/suggestions")).status_code == 200


async def test_a_code_that_is_not_a_target_is_422(client: AsyncClient) -> None:
    rec = await create_recommendation(client, text={"en": WATER})
    for code in ("99.9", "16", "x"):
        for action in ("accept", "reject"):
            response = await client.post(
                f"/recommendations/{rec['id']}/suggestions/{code}/{action}"
            )
            assert_problem(response, 422, "path.code")
    after = (await client.get(f"/recommendations/{rec['id']}")).json()
    assert after["version"] == rec["version"]


async def test_archived_gets_an_empty_list_and_unknown_is_404(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    rec = await create_recommendation(client, text={"en": WATER})
    assert await _suggested(client, rec["id"])
    deleted = await client.delete(
        f"/recommendations/{rec['id']}", headers={"If-Match": f'"{rec["version"]}"'}
    )
    assert deleted.status_code == 204
    assert await _suggested(client, rec["id"]) == []
    missing = await client.get("/recommendations/00000000-0000-4000-8000-000000000000/suggestions")
    assert_problem(missing, 404)


async def test_without_an_index_nothing_is_suggested(client: AsyncClient) -> None:
    rec = await create_recommendation(client, text={"en": WATER})
    assert await _suggested(client, rec["id"]) == []
