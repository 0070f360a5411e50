from httpx import AsyncClient

from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, recommendation_payload


async def test_create_returns_the_full_recommendation_with_etag_and_location(
    client: AsyncClient,
) -> None:
    themes = (await client.get("/themes", params={"limit": 2})).json()["items"]
    groups = (await client.get("/affected-persons", params={"limit": 1})).json()["items"]
    payload = recommendation_payload(
        symbol="A/HRC/34/8",
        paragraph="132.90",
        mechanism="UPR",
        countries=["ken", "UGA"],
        text={"en": "Criminalize torture", "fr": "Incriminer la torture"},
        upr={"position": "supported", "recommending_states": ["Norway", "Chile"], "cycle": 2},
        themes=[t["id"] for t in themes],
        affected_persons=[g["id"] for g in groups],
        sdg_goals=[5],
        sdg_targets=["16.2", "16.b"],
        priority="high",
    )
    response = await client.post("/recommendations", json=payload)
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"].endswith(f"/api/v1/recommendations/{body['id']}")
    assert body["mechanism"] == {"code": "UPR", "type": "upr", "name": "Universal Periodic Review"}
    assert body["countries"] == ["KEN", "UGA"]
    assert body["text"] == payload["text"]
    assert body["upr"] == {
        "position": "supported",
        "recommending_states": ["Chile", "Norway"],
        "cycle": 2,
        "session": None,
    }
    assert {t["id"] for t in body["themes"]} == {t["id"] for t in themes}
    assert body["affected_persons"] == groups
    assert body["sdg_goals"] == [5, 16]
    assert body["sdg_targets"] == ["16.2", "16.b"]
    assert body["priority"] == "high"
    assert body["status"] == "not_started"
    assert body["archived"] is False
    assert body["version"] == 1
    assert body["clusters"] == []

    fetched = await client.get(f"/recommendations/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'


async def test_mechanism_name_follows_the_requested_language(client: AsyncClient) -> None:
    rec = await create_recommendation(client, mechanism="CRC")
    english = (await client.get(f"/recommendations/{rec['id']}")).json()["mechanism"]["name"]
    french = await client.get(f"/recommendations/{rec['id']}", params={"lang": "fr"})
    by_header = await client.get(
        f"/recommendations/{rec['id']}", headers={"Accept-Language": "fr-CH, en;q=0.5"}
    )
    assert french.json()["mechanism"]["name"] != english
    assert by_header.json()["mechanism"]["name"] == french.json()["mechanism"]["name"]


async def test_duplicate_uhri_id_is_a_conflict(client: AsyncClient) -> None:
    await create_recommendation(client, uhri_id="0b6a1a7e-aaaa")
    response = await client.post(
        "/recommendations", json=recommendation_payload(uhri_id="0b6a1a7e-aaaa")
    )
    assert_problem(response, 409)


async def test_unknown_references_are_named_in_one_422(client: AsyncClient) -> None:
    response = await client.post(
        "/recommendations",
        json=recommendation_payload(
            mechanism="NOPE",
            countries=["KEN", "XXX"],
            sdg_targets=["16.2", "16.99"],
            themes=["00000000-0000-0000-0000-000000000000"],
        ),
    )
    body = assert_problem(response, 422)
    messages = {e["field"]: e["message"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert "NOPE" in messages["body.mechanism"]
    assert "XXX" in messages["body.countries"]
    assert "16.99" in messages["body.sdg_targets"]
    assert "body.themes" in messages
    listed = await client.get("/recommendations", params={"include_total": "true"})
    assert listed.json()["total"] == 0


async def test_upr_details_only_for_upr_recommendations(client: AsyncClient) -> None:
    response = await client.post(
        "/recommendations",
        json=recommendation_payload(mechanism="CRC", upr={"position": "supported"}),
    )
    assert_problem(response, 422, "body.upr")


async def test_unknown_recommendation_is_404(client: AsyncClient) -> None:
    response = await client.get("/recommendations/6f1c1a52-8f0e-4a4e-9a59-2f3c1b7e0d11")
    assert_problem(response, 404)
