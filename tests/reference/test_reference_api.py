from typing import Any

import pytest
from httpx import AsyncClient

from tests.problems import assert_problem


async def _all(client: AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(path, params=query)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_sdgs_lists_the_17_goals_with_target_counts(client: AsyncClient) -> None:
    page = (await client.get("/sdgs")).json()
    assert page["next_cursor"] is None
    goals = page["items"]
    assert [g["number"] for g in goals] == list(range(1, 18))
    assert goals[15]["short_title"] == "Peace, justice and strong institutions"
    assert goals[15]["targets_count"] == 12
    assert sum(g["targets_count"] for g in goals) == 169
    assert goals[4]["colour"] == "#FF3A21"


@pytest.mark.parametrize(
    ("lang", "short_title"),
    [
        ("en", "No poverty"),
        ("fr", "Pas de pauvreté"),
        ("es", "Fin de la Pobreza"),
        ("ru", "Ликвидация нищеты"),
        ("zh", "无贫穷"),
        ("ar", "لا فقر"),
    ],
)
async def test_goal_titles_in_the_six_languages(
    client: AsyncClient, lang: str, short_title: str
) -> None:
    goal = (await client.get("/sdgs/1", params={"lang": lang})).json()
    assert goal["short_title"] == short_title


async def test_accept_language_picks_the_language_and_english_is_the_fallback(
    client: AsyncClient,
) -> None:
    chinese = await client.get("/sdgs/1", headers={"Accept-Language": "zh-Hans-CN, en;q=0.8"})
    assert chinese.json()["short_title"] == "无贫穷"
    german = await client.get("/sdgs/1", headers={"Accept-Language": "de-DE, ru;q=0.2"})
    assert german.json()["short_title"] == "Ликвидация нищеты"
    unknown = await client.get("/sdgs/1", headers={"Accept-Language": "de"})
    assert unknown.json()["short_title"] == "No poverty"
    overridden = await client.get("/sdgs/1?lang=ar", headers={"Accept-Language": "fr"})
    assert overridden.json()["short_title"] == "لا فقر"
    assert_problem(await client.get("/sdgs/1", params={"lang": "xx"}), 422, "query.lang")


async def test_goal_detail_lists_numbered_then_lettered_targets(client: AsyncClient) -> None:
    goal = (await client.get("/sdgs/16")).json()
    codes = [t["code"] for t in goal["targets"]]
    assert codes == [f"16.{n}" for n in range(1, 11)] + ["16.a", "16.b"]
    assert goal["targets_count"] == 12
    assert_problem(await client.get("/sdgs/18"), 422, "path.number")
    assert_problem(await client.get("/sdgs/zero"), 422)


async def test_sdg_targets_page_through_all_169(client: AsyncClient) -> None:
    targets = await _all(client, "/sdg-targets", limit=50)
    assert len(targets) == 169
    assert len({t["code"] for t in targets}) == 169
    only_16 = (await client.get("/sdg-targets", params={"goal": 16})).json()["items"]
    assert {t["goal"] for t in only_16} == {16}
    assert len(only_16) == 12
    assert_problem(await client.get("/sdg-targets", params={"goal": 18}), 422, "query.goal")


async def test_mechanisms_by_type(client: AsyncClient) -> None:
    treaty_bodies = await _all(client, "/mechanisms", type="treaty_body")
    assert {m["code"] for m in treaty_bodies} == {
        "CCPR", "CESCR", "CAT", "SPT", "CRC", "CRC-OP-AC", "CRC-OP-SC",
        "CEDAW", "CERD", "CMW", "CRPD", "CED",
    }  # fmt: skip
    upr = (await client.get("/mechanisms/UPR")).json()
    assert upr == {"code": "UPR", "type": "upr", "name": "Universal Periodic Review"}
    torture = (await client.get("/mechanisms/SR Torture")).json()
    assert torture["type"] == "special_procedure"
    assert_problem(await client.get("/mechanisms/NOPE"), 404)
    assert_problem(await client.get("/mechanisms", params={"type": "court"}), 422)


async def test_themes_and_affected_persons_are_cleaned_labels(client: AsyncClient) -> None:
    for path in ("/themes", "/affected-persons"):
        labels = await _all(client, path, limit=500)
        names = [label["name"] for label in labels]
        assert names, path
        assert all(n == n.strip() and not n.startswith("-") and "  " not in n for n in names)
        assert len(set(names)) == len(names)
        one = await client.get(f"{path}/{labels[0]['id']}")
        assert one.json() == labels[0]
    themes = {t["name"] for t in await _all(client, "/themes", limit=500)}
    assert "Participation of women in political & public life" in themes
    assert_problem(await client.get("/themes/00000000-0000-0000-0000-000000000000"), 404)


async def test_countries_with_names_in_six_languages_and_regions(client: AsyncClient) -> None:
    countries = await _all(client, "/countries", limit=100)
    assert len(countries) >= 249
    assert len([c for c in countries if c["region"]]) >= 193
    kenya = (await client.get("/countries/ken")).json()
    assert kenya == {"iso3": "KEN", "iso2": "KE", "name": "Kenya", "region": "Africa"}
    assert (await client.get("/countries/KEN", params={"lang": "zh"})).json()["name"] == "肯尼亚"
    weog = await _all(client, "/countries", region="Western Europe & Others")
    assert "NOR" in {c["iso3"] for c in weog}
    assert_problem(await client.get("/countries/XXX"), 404)
    assert_problem(await client.get("/countries", params={"region": "Atlantis"}), 422)
