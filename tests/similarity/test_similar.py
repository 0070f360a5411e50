"""Near-duplicates found by the index: repeats and edits found, unrelated records not, pairs
compared in a language both have, and every write keeps the index current."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import delete

from app.models.recommendation import RecommendationCountry
from app.models.similarity import SimilaritySignature
from app.models.user import Role
from app.similarity import index, service
from app.similarity.index import rebuild, reindex
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

TORTURE = (
    "Ensure that all allegations of torture and ill-treatment by law enforcement officials are "
    "promptly, impartially and effectively investigated, that perpetrators are prosecuted and, "
    "if convicted, punished with appropriate penalties, and that victims obtain redress."
)
TORTURE_EDITED = (
    "132.45 Ensure that perpetrators are prosecuted and, if convicted, punished with appropriate "
    "penalties, that all allegations of torture and ill-treatment by police officials are "
    "promptly, impartially and effectively investigated, and that victims obtain full redress "
    "(Denmark);"
)
SCHOOLS = (
    "Increase the budget allocated to primary education in rural areas and train more "
    "teachers, in particular women, so that every girl completes primary school."
)
TORTURE_FR = (
    "Veiller à ce que toutes les allégations de torture et de mauvais traitements imputés à des "
    "agents des forces de l'ordre fassent rapidement l'objet d'enquêtes impartiales et efficaces."
)
TORTURE_ES = (
    "Velar por que todas las denuncias de tortura y malos tratos por agentes del orden se "
    "investiguen con prontitud, imparcialidad y eficacia, y que los autores sean enjuiciados."
)


async def _similar(client: AsyncClient, rec_id: str, **params: float) -> list[dict[str, object]]:
    response = await client.get(f"/recommendations/{rec_id}/similar", params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()
    return found


async def test_repeat_and_edit_found_unrelated_not(client: AsyncClient) -> None:
    first = await create_recommendation(client, text={"en": TORTURE})
    repeat = await create_recommendation(
        client, text={"en": TORTURE}, mechanism="CAT", symbol="CAT/C/KEN/CO/3"
    )
    edited = await create_recommendation(client, text={"en": TORTURE_EDITED})
    unrelated = await create_recommendation(client, text={"en": SCHOOLS})
    found = await _similar(client, first["id"])
    assert [f["id"] for f in found] == [repeat["id"], edited["id"]]
    assert found[0]["score"] == 1.0
    assert 0.5 <= float(found[1]["score"]) < 1  # type: ignore[arg-type]
    # Asked for anything at all alike, the unrelated one shows, far below a near-duplicate.
    everything = {f["id"]: f["score"] for f in await _similar(client, first["id"], min_score=0.01)}
    assert float(everything.get(unrelated["id"], 0.0)) < 0.1  # type: ignore[arg-type]
    assert await _similar(client, unrelated["id"]) == []


async def test_only_recommendations_to_the_same_state(client: AsyncClient) -> None:
    kenya = await create_recommendation(client, text={"en": TORTURE})
    await create_recommendation(client, text={"en": TORTURE}, countries=["UGA"])
    assert await _similar(client, kenya["id"]) == []


async def test_a_change_of_state_moves_the_candidates(client: AsyncClient) -> None:
    kenya = await create_recommendation(client, text={"en": TORTURE})
    elsewhere = await create_recommendation(client, text={"en": TORTURE}, countries=["UGA"])
    assert await _similar(client, kenya["id"]) == []
    moved = await client.patch(
        f"/recommendations/{elsewhere['id']}",
        json={"countries": ["KEN"]},
        headers={"If-Match": f'"{elsewhere["version"]}"'},
    )
    assert moved.status_code == 200, moved.text
    assert [f["id"] for f in await _similar(client, kenya["id"])] == [elsewhere["id"]]


async def test_recommendations_to_no_state_are_compared_with_each_other(
    app: FastAPI, client: AsyncClient
) -> None:
    one = await create_recommendation(client, text={"en": TORTURE})
    two = await create_recommendation(client, text={"en": TORTURE_EDITED})
    async with app.state.sessionmaker() as session, session.begin():
        # As an import leaves a record without a country: no link, indexed under no State.
        for rec in (one, two):
            rec_id = uuid.UUID(rec["id"])
            await session.execute(
                delete(RecommendationCountry).where(
                    RecommendationCountry.recommendation_id == rec_id
                )
            )
            await reindex(session, rec_id, {"en": TORTURE if rec is one else TORTURE_EDITED})
    assert [f["id"] for f in await _similar(client, one["id"])] == [two["id"]]


async def test_every_state_of_a_recommendation_counts_each_candidate_once(
    client: AsyncClient,
) -> None:
    both = await create_recommendation(client, text={"en": TORTURE}, countries=["KEN", "UGA"])
    kenya = await create_recommendation(client, text={"en": TORTURE_EDITED})
    uganda = await create_recommendation(client, text={"en": TORTURE}, countries=["UGA"])
    also_both = await create_recommendation(client, text={"en": TORTURE}, countries=["UGA", "KEN"])
    await create_recommendation(client, text={"en": TORTURE}, countries=["TZA"])
    found = {str(f["id"]) for f in await _similar(client, both["id"])}
    assert found == {kenya["id"], uganda["id"], also_both["id"]}


async def test_compared_in_a_language_both_have(client: AsyncClient) -> None:
    # A UHRI record in English and Spanish meets a national one written in Spanish only.
    uhri = await create_recommendation(client, text={"en": TORTURE, "es": TORTURE_ES})
    national = await create_recommendation(client, text={"es": TORTURE_ES})
    french = await create_recommendation(client, text={"fr": TORTURE_FR})
    assert [f["id"] for f in await _similar(client, national["id"])] == [uhri["id"]]
    assert [f["id"] for f in await _similar(client, uhri["id"])] == [national["id"]]
    # No language in common: never compared, even though both speak of torture.
    assert await _similar(client, french["id"], min_score=0.01) == []


async def test_edits_keep_the_index_current(client: AsyncClient) -> None:
    one = await create_recommendation(client, text={"en": TORTURE})
    two = await create_recommendation(client, text={"en": SCHOOLS})
    assert await _similar(client, one["id"]) == []
    etag = (await client.get(f"/recommendations/{two['id']}")).headers["etag"]
    changed = await client.patch(
        f"/recommendations/{two['id']}", json={"text": {"en": TORTURE}}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert [f["id"] for f in await _similar(client, one["id"])] == [two["id"]]
    etag = changed.headers["etag"]
    await client.delete(f"/recommendations/{two['id']}", headers={"If-Match": etag})
    assert await _similar(client, one["id"]) == []  # archived ones are left out
    assert await _similar(client, two["id"]) == []


async def test_duplicates_for_a_state(client: AsyncClient, anonymous: AsyncClient) -> None:
    a = await create_recommendation(client, text={"en": TORTURE})
    b = await create_recommendation(client, text={"en": TORTURE_EDITED})
    c = await create_recommendation(client, text={"en": TORTURE}, mechanism="CAT")
    d = await create_recommendation(client, text={"en": SCHOOLS})
    e = await create_recommendation(client, text={"en": SCHOOLS + " Build schools."})
    await create_recommendation(client, text={"en": TORTURE}, countries=["UGA"])
    response = await anonymous.get("/duplicates", params={"country": "ken"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["country"] == "KEN"
    groups = [(set(g["recommendation_ids"]), g["linked"]) for g in body["groups"]]
    assert groups == [({a["id"], b["id"], c["id"]}, False), ({d["id"], e["id"]}, False)]
    scores = [g["score"] for g in body["groups"]]
    assert scores == sorted(scores, reverse=True)
    linked = await client.post(
        f"/recommendations/{d['id']}/duplicates", json={"recommendation_ids": [e["id"]]}
    )
    assert linked.status_code == 200, linked.text
    again = (await anonymous.get("/duplicates", params={"country": "KEN"})).json()
    assert [g["linked"] for g in again["groups"]] == [False, True]


async def test_a_text_made_many_times_is_one_group_found_without_pairing_all(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A UPR session repeats a request once per recommending State: a band bucket that large is
    paired along a chain, not each with each (which grew with the square of the State)."""
    monkeypatch.setattr(service, "FULL_PAIRING_UP_TO", 5)
    made = [
        (await create_recommendation(client, text={"en": f"{TORTURE} ({n})"}, countries=["TUV"]))[
            "id"
        ]
        for n in range(24)
    ]
    scored: list[int] = []
    likely_pairs = service._likely_pairs

    def counted(*args: Any) -> Any:
        found = likely_pairs(*args)
        scored.append(len(found))
        return found

    monkeypatch.setattr(service, "_likely_pairs", counted)
    body = (await client.get("/duplicates", params={"country": "TUV"})).json()
    assert [set(g["recommendation_ids"]) for g in body["groups"]] == [set(made)]
    assert scored[0] < 24 * 23 // 2 / 4  # far fewer than every pair (276)


async def test_bad_input_is_a_problem(client: AsyncClient, make_client: ClientFactory) -> None:
    rec = await create_recommendation(client, text={"en": TORTURE})
    assert_problem(await client.get("/duplicates"), 422, "query.country")
    assert_problem(await client.get("/duplicates", params={"country": "XXX"}), 422, "query.country")
    assert_problem(await client.get("/duplicates", params={"country": "KENYA"}), 422)
    assert_problem(await client.get("/duplicates", params={"country": "KEN", "min_score": 2}), 422)
    assert_problem(
        await client.get("/duplicates", params={"country": "KEN", "threshold": 0.3}),
        422,
        "query.threshold",
    )
    assert_problem(
        await client.get(f"/recommendations/{rec['id']}/similar", params={"limit": 0}), 422
    )
    unknown = "00000000-0000-0000-0000-000000000000"
    assert_problem(await client.get(f"/recommendations/{unknown}/similar"), 404)
    viewer = await make_client(Role.viewer)
    assert (await viewer.get(f"/recommendations/{rec['id']}/similar")).status_code == 200


async def test_rebuild_restores_the_index(app: FastAPI, client: AsyncClient) -> None:
    one = await create_recommendation(client, text={"en": TORTURE})
    two = await create_recommendation(client, text={"en": TORTURE_EDITED, "fr": TORTURE_FR})
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(delete(SimilaritySignature))
    assert await _similar(client, one["id"]) == []
    assert await rebuild(app.state.sessionmaker, workers=2) == 2
    assert [f["id"] for f in await _similar(client, one["id"])] == [two["id"]]


async def test_archived_copies_do_not_crowd_out_a_live_near_duplicate(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "MAX_CANDIDATES", 3)  # 200 in production
    first = await create_recommendation(client, text={"en": TORTURE})
    live = await create_recommendation(client, text={"en": TORTURE_EDITED})
    for _ in range(3):  # closer to `first` than `live` is, but archived
        old = await create_recommendation(client, text={"en": TORTURE})
        archived = await client.patch(
            f"/recommendations/{old['id']}",
            json={"archived": True},
            headers={"If-Match": f'"{old["version"]}"'},
        )
        assert archived.status_code == 200, archived.text
    assert [f["id"] for f in await _similar(client, first["id"])] == [live["id"]]


async def test_a_rebuild_meets_edits_made_while_it_runs(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch replaces its own id range: an edit of the recommendation read but not yet
    written, and of one not reached yet, is indexed as it ends up; nothing clashes."""
    recs = sorted(
        [await create_recommendation(client, text={"en": SCHOOLS}) for _ in range(3)],
        key=lambda rec: uuid.UUID(rec["id"]),
    )
    torture = await create_recommendation(client, text={"en": TORTURE}, countries=["UGA"])
    monkeypatch.setattr(index, "REBUILD_BATCH", 1)
    real = index._replace_range
    edited: list[str] = []

    async def edit(rec_id: str) -> None:
        etag = (await client.get(f"/recommendations/{rec_id}")).headers["etag"]
        done = await client.patch(
            f"/recommendations/{rec_id}",
            json={"text": {"en": TORTURE_EDITED}, "countries": ["UGA"]},
            headers={"If-Match": etag},
        )
        assert done.status_code == 200, done.text
        edited.append(rec_id)

    async def racing(*args: Any) -> None:
        being_written = {str(i) for i in args[3]}
        if not edited:
            # The first batch: edit what it read (stale now) and the last one (not reached).
            for rec in (recs[0], recs[2]):
                if rec["id"] in being_written or uuid.UUID(rec["id"]) > args[2]:
                    await edit(rec["id"])
        await real(*args)

    monkeypatch.setattr(index, "_replace_range", racing)
    assert await rebuild(app.state.sessionmaker, workers=2) == 4
    found = {f["id"] for f in await _similar(client, torture["id"])}
    assert edited
    assert found == set(edited)
    assert await _similar(client, recs[1]["id"]) == []  # still about schools, in Kenya
