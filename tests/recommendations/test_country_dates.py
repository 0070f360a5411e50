"""Country links carry their recommendation's publication date (the index one country's list is
read from); lists of one country page exactly as lists of several do."""

from fastapi import FastAPI
from httpx import AsyncClient

from tests.recommendations.denormalized import link_dates as _link_dates
from tests.recommendations.factories import create_recommendation, list_all


async def test_links_follow_the_date_through_creation_retag_and_redating(
    app: FastAPI, client: AsyncClient
) -> None:
    rec = await create_recommendation(
        client, countries=["KEN", "UGA"], publication_date="2019-05-02"
    )
    assert sorted(await _link_dates(app)) == [
        (rec["id"], "2019-05-02", "2019-05-02"),
        (rec["id"], "2019-05-02", "2019-05-02"),
    ]
    redated = await client.patch(
        f"/recommendations/{rec['id']}",
        json={"publication_date": "2021-01-31", "countries": ["KEN", "TZA"]},
        headers={"If-Match": f'"{rec["version"]}"'},
    )
    assert redated.status_code == 200, redated.text
    redated_again = await client.patch(
        f"/recommendations/{rec['id']}",
        json={"publication_date": "2022-07-01"},
        headers={"If-Match": f'"{redated.json()["version"]}"'},
    )
    assert redated_again.status_code == 200, redated_again.text
    assert sorted(await _link_dates(app)) == [
        (rec["id"], "2022-07-01", "2022-07-01"),
        (rec["id"], "2022-07-01", "2022-07-01"),
    ]
    assert [r["id"] for r in await list_all(client, country="TZA")] == [rec["id"]]
    assert await list_all(client, country="UGA") == []


async def test_one_country_pages_like_the_general_path(client: AsyncClient) -> None:
    dates = ["2020-01-01", "2020-01-01", "2018-06-30", "2023-03-03", "2020-01-01", "2015-09-09"]
    ken = [
        (await create_recommendation(client, countries=["KEN"], publication_date=d))["id"]
        for d in dates
    ]
    await create_recommendation(client, countries=["UGA"], publication_date="2021-01-01")
    shared = await create_recommendation(
        client, countries=["KEN", "UGA"], publication_date="2020-01-01"
    )
    ken.append(shared["id"])
    for sort in ("-publication_date", "publication_date"):
        one = [r["id"] for r in await list_all(client, country="KEN", sort=sort, limit=2)]
        # Two countries, one of them absent: the same set, through the general semi-join.
        general = [
            r["id"] for r in await list_all(client, country=["KEN", "TZA"], sort=sort, limit=3)
        ]
        assert one == general
        assert sorted(one) == sorted(ken)
    newest = await list_all(client, country="KEN", limit=50)
    assert [r["publication_date"] for r in newest][:1] == ["2023-03-03"]
    assert [r["publication_date"] for r in newest][-1] == "2015-09-09"
    counted = await client.get("/recommendations", params={"country": "KEN", "include_total": True})
    assert counted.json()["total"] == 7
