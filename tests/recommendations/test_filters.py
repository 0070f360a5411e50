"""Every filter of GET /recommendations, alone and combined, against a known set."""

from typing import Any

import pytest
from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, ids_matching


@pytest.fixture
async def corpus(client: AsyncClient) -> dict[str, dict[str, Any]]:
    themes = (await client.get("/themes", params={"limit": 2})).json()["items"]
    groups = (await client.get("/affected-persons", params={"limit": 2})).json()["items"]
    recs = {
        "upr_ken": await create_recommendation(
            client,
            uhri_id="uhri-1",
            symbol="A/HRC/34/8",
            mechanism="UPR",
            countries=["KEN"],
            publication_date="2017-01-10",
            upr={
                "position": "supported",
                "recommending_states": ["Norway"],
                "cycle": 2,
                "session": 26,
            },
            sdg_targets=["16.2"],
            themes=[themes[0]["id"]],
            priority="high",
        ),
        "upr_uga": await create_recommendation(
            client,
            uhri_id="uhri-2",
            symbol="A/HRC/48/5",
            mechanism="UPR",
            countries=["UGA"],
            publication_date="2021-07-01",
            upr={"position": "noted", "recommending_states": ["Chile", "Norway"], "cycle": 3},
            sdg_goals=[5],
            affected_persons=[groups[0]["id"]],
            priority="low",
        ),
        "crc_ken": await create_recommendation(
            client,
            symbol="CRC/C/KEN/CO/3-5",
            mechanism="CRC",
            countries=["KEN", "UGA"],
            publication_date="2016-03-21",
            type="concern",
            sdg_goals=[16],
            themes=[themes[1]["id"]],
            affected_persons=[groups[1]["id"]],
        ),
        "sr_tza": await create_recommendation(
            client,
            symbol="A/HRC/40/59/Add.1",
            mechanism="SR Torture",
            countries=["TZA"],
            publication_date="2019-02-01",
            type="other",
        ),
    }
    recs["themes"] = {"a": themes[0]["id"], "b": themes[1]["id"]}
    recs["groups"] = {"a": groups[0]["id"], "b": groups[1]["id"]}
    return recs


def _ids(corpus: dict[str, dict[str, Any]], *names: str) -> set[str]:
    return {corpus[name]["id"] for name in names}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["upr_ken", "upr_uga", "crc_ken", "sr_tza"]),
        ({"uhri_id": "uhri-2"}, ["upr_uga"]),
        ({"symbol": ["A/HRC/34/8", "A/HRC/48/5"]}, ["upr_ken", "upr_uga"]),
        ({"country": "KEN"}, ["upr_ken", "crc_ken"]),
        ({"country": ["tza", "UGA"]}, ["upr_uga", "crc_ken", "sr_tza"]),
        ({"mechanism": "UPR"}, ["upr_ken", "upr_uga"]),
        ({"mechanism": ["CRC", "SR Torture"]}, ["crc_ken", "sr_tza"]),
        ({"mechanism_type": "treaty_body"}, ["crc_ken"]),
        ({"mechanism_type": "special_procedure"}, ["sr_tza"]),
        ({"type": "concern"}, ["crc_ken"]),
        ({"type": ["recommendation", "other"]}, ["upr_ken", "upr_uga", "sr_tza"]),
        ({"upr_position": "noted"}, ["upr_uga"]),
        ({"upr_position": "none"}, ["crc_ken", "sr_tza"]),
        ({"upr_cycle": 2}, ["upr_ken"]),
        ({"upr_cycle": [2, 3]}, ["upr_ken", "upr_uga"]),
        ({"recommending_state": "Norway"}, ["upr_ken", "upr_uga"]),
        ({"recommending_state": "Chile"}, ["upr_uga"]),
        ({"sdg_goal": 16}, ["upr_ken", "crc_ken"]),  # through target 16.2, and directly
        ({"sdg_goal": [5, 16]}, ["upr_ken", "upr_uga", "crc_ken"]),
        ({"sdg_target": "16.2"}, ["upr_ken"]),
        ({"status": "not_started"}, ["upr_ken", "upr_uga", "crc_ken", "sr_tza"]),
        ({"status": "implemented"}, []),
        ({"priority": "high"}, ["upr_ken"]),
        ({"priority": ["low", "none"]}, ["upr_uga", "crc_ken", "sr_tza"]),
        ({"published_from": "2019-02-01"}, ["upr_uga", "sr_tza"]),
        ({"published_to": "2017-01-10"}, ["upr_ken", "crc_ken"]),
        ({"published_from": "2017-01-01", "published_to": "2019-12-31"}, ["upr_ken", "sr_tza"]),
        ({"country": "KEN", "mechanism_type": "upr", "sdg_goal": 16}, ["upr_ken"]),
    ],
)
async def test_filter(
    client: AsyncClient,
    corpus: dict[str, dict[str, Any]],
    params: dict[str, Any],
    expected: list[str],
) -> None:
    assert await ids_matching(client, **params) == _ids(corpus, *expected)


async def test_theme_and_affected_person_filters(
    client: AsyncClient, corpus: dict[str, dict[str, Any]]
) -> None:
    themes, groups = corpus["themes"], corpus["groups"]
    assert await ids_matching(client, theme=themes["a"]) == _ids(corpus, "upr_ken")
    assert await ids_matching(client, theme=[themes["a"], themes["b"]]) == _ids(
        corpus, "upr_ken", "crc_ken"
    )
    assert await ids_matching(client, affected_person=groups["b"]) == _ids(corpus, "crc_ken")


async def test_archived_recommendations_are_listed_only_when_asked(
    client: AsyncClient, corpus: dict[str, dict[str, Any]]
) -> None:
    rec = corpus["sr_tza"]
    await client.delete(f"/recommendations/{rec['id']}", headers={"If-Match": '"1"'})
    assert rec["id"] not in await ids_matching(client)
    assert await ids_matching(client, archived="true") == {rec["id"]}
    assert await ids_matching(client, archived="true", country="KEN") == set()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"country": "XXX"}, "query.country"),
        ({"mechanism": "Nope"}, "query.mechanism"),
        ({"sdg_goal": 99}, "query.sdg_goal"),
        ({"sdg_goal": "five"}, "query.sdg_goal"),
        ({"sdg_target": "16.99"}, "query.sdg_target"),
        ({"theme": "00000000-0000-0000-0000-000000000000"}, "query.theme"),
        ({"theme": "not-a-uuid"}, "query.theme"),
        ({"affected_person": "00000000-0000-0000-0000-000000000000"}, "query.affected_person"),
        ({"status": "done"}, "query.status"),
        ({"priority": "urgent"}, "query.priority"),
        ({"type": "opinion"}, "query.type"),
        ({"mechanism_type": "court"}, "query.mechanism_type"),
        ({"upr_position": "accepted"}, "query.upr_position"),
        ({"upr_cycle": 7}, "query.upr_cycle"),
        ({"published_from": "2020-13-01"}, "query.published_from"),
        ({"published_from": "2021-01-01", "published_to": "2020-01-01"}, "query.published_from"),
        ({"archived": "maybe"}, "query.archived"),
        ({"sort": "colour"}, "query.sort"),
        ({"lang": "de"}, "query.lang"),
        ({"limit": 501}, "query.limit"),
        ({"limit": 0}, "query.limit"),
        ({"q": "x" * 501}, "query.q"),
    ],
)
async def test_bad_filter_values_are_422(
    client: AsyncClient, params: dict[str, Any], field: str
) -> None:
    assert_problem(await client.get("/recommendations", params=params), 422, field)
