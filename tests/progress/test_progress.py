"""Progress figures against a scenario computed by hand (DESIGN §3).

rec  tags                 mechanism  country  status (why)                        UPR
A    goal 5               CRC        KEN      implemented (validated 2025-03-20)  -
B    target 5.2           UPR        KEN      partially (validated 2025-05-10;    supported
                                              in progress validated 2025-01-15)
C    goal 5 + target 5.2  UPR        KEN      in_progress (action under way)      noted
D    goals 5 and 16       CAT        KEN      planned (assigned to J)             -
E    target 16.2          UPR        UGA      not_started                         supported
F    goal 5, archived     CRC        KEN      (never counts)                      -
G    no SDG               CRC        KEN      not_started                         -
H    goal 16              CEDAW      KEN      planned (assigned to J; a draft     -
                                              saying "implemented" must not count)
One overdue action is linked to A and D.
"""

import datetime as dt
import re
import uuid
import xml.dom.minidom
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import update

from app.clock import today
from app.models.progress_update import ProgressUpdate
from tests.planning.factories import assign, days_from_today, institution_id, plan_action, report
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

Scenario = dict[str, Any]
ZERO = {"not_started": 0, "planned": 0, "in_progress": 0, "partially_implemented": 0,
        "implemented": 0}  # fmt: skip


def _status(**counts: int) -> dict[str, int]:
    return {**ZERO, **counts}


async def _validate_on(
    app: FastAPI, client: AsyncClient, rec_id: str, assessment: str, day: str
) -> None:
    update_ = await report(client, rec_id, assessment)
    await client.post(f"/progress-updates/{update_['id']}/submit")
    assert (await client.post(f"/progress-updates/{update_['id']}/validate")).status_code == 200
    async with app.state.sessionmaker() as session, session.begin():
        await session.execute(
            update(ProgressUpdate)
            .where(ProgressUpdate.id == uuid.UUID(update_["id"]))
            .values(validated_at=dt.datetime.fromisoformat(f"{day}T12:00:00+00:00"))
        )


@pytest.fixture
async def scenario(app: FastAPI, client: AsyncClient) -> Scenario:
    theme = (await client.get("/themes", params={"limit": 1})).json()["items"][0]["id"]
    made: Scenario = {"theme": theme}

    async def rec(name: str, **fields: Any) -> str:
        fields.setdefault("publication_date", "2024-06-01")
        made[name] = (await create_recommendation(client, **fields))["id"]
        return str(made[name])

    await rec("A", mechanism="CRC", sdg_goals=[5], themes=[theme])
    await rec("B", mechanism="UPR", sdg_targets=["5.2"], upr={"position": "supported"})
    await rec("C", mechanism="UPR", sdg_goals=[5], sdg_targets=["5.2"], upr={"position": "noted"})
    await rec("D", mechanism="CAT", sdg_goals=[5, 16], themes=[theme])
    await rec("E", mechanism="UPR", sdg_targets=["16.2"], countries=["UGA"],
              upr={"position": "supported"})  # fmt: skip
    await rec("F", mechanism="CRC", sdg_goals=[5])
    await rec("G", mechanism="CRC")
    await rec("H", mechanism="CEDAW", sdg_goals=[16])

    made["J"] = await institution_id(app, "Ministry of Justice")
    await assign(client, made["D"], made["J"])
    await assign(client, made["H"], made["J"])
    await plan_action(client, [made["C"]], status="in_progress")
    await plan_action(client, [made["A"], made["D"]], due_date=days_from_today(-3))
    await _validate_on(app, client, made["B"], "in_progress", "2025-01-15")
    await _validate_on(app, client, made["A"], "implemented", "2025-03-20")
    await _validate_on(app, client, made["B"], "partially_implemented", "2025-05-10")
    await _validate_on(app, client, made["F"], "implemented", "2025-02-01")
    archived = await client.delete(f"/recommendations/{made['F']}", headers={"If-Match": '"1"'})
    assert archived.status_code == 204
    await report(client, made["H"], "implemented")  # a draft: never counts
    return made


def _row(rows: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


async def test_sdgs(scenario: Scenario, client: AsyncClient, anonymous: AsyncClient) -> None:
    body = (await client.get("/progress/sdgs")).json()
    assert body["total"] == 6  # A B C D E H: each once, G has no SDG, F is archived
    assert body["by_status"] == _status(implemented=1, partially_implemented=1, in_progress=1,
                                        planned=2, not_started=1)  # fmt: skip
    assert [g["goal"] for g in body["goals"]] == list(range(1, 18))
    five = _row(body["goals"], goal=5)
    assert five["recommendations"] == 4  # A, B (through 5.2), C, D
    assert five["by_status"] == _status(implemented=1, partially_implemented=1, in_progress=1,
                                        planned=1)  # fmt: skip
    assert five["by_upr_position"] == {"supported": 1, "noted": 1, "none": 2}
    assert five["overdue_actions"] == 1
    assert five["implementation_rate"] == 0.375
    assert five["short_title"] == "Gender equality"
    assert five["colour"] == "#FF3A21"
    sixteen = _row(body["goals"], goal=16)
    assert sixteen["recommendations"] == 3  # D, E (through 16.2), H
    assert sixteen["by_status"] == _status(planned=2, not_started=1)
    assert sixteen["by_upr_position"] == {"supported": 1, "noted": 0, "none": 2}
    assert sixteen["overdue_actions"] == 1
    assert sixteen["implementation_rate"] == 0.0
    one = _row(body["goals"], goal=1)
    assert one["recommendations"] == 0
    assert one["implementation_rate"] == 0.0
    # The public gets the same figures: they come from validated updates only.
    assert (await anonymous.get("/progress/sdgs")).json() == body


@pytest.mark.parametrize(
    ("params", "goal5", "goal16", "total"),
    [
        ({"country": "UGA"}, 0, 1, 1),
        ({"mechanism": "UPR"}, 2, 1, 3),
        ({"mechanism_type": "treaty_body"}, 2, 2, 3),  # A, D / D, H
        ({"upr_position": "supported"}, 1, 1, 2),
        ({"institution": "J"}, 1, 2, 2),
        ({"theme": "theme"}, 2, 1, 2),
        ({"published_to": "2024-01-01"}, 0, 0, 0),
    ],
)
async def test_sdgs_filtered(
    scenario: Scenario, client: AsyncClient, params: dict[str, str], goal5: int, goal16: int,
    total: int,
) -> None:  # fmt: skip
    resolved = {k: scenario.get(v, v) for k, v in params.items()}
    body = (await client.get("/progress/sdgs", params=resolved)).json()
    assert _row(body["goals"], goal=5)["recommendations"] == goal5
    assert _row(body["goals"], goal=16)["recommendations"] == goal16
    assert body["total"] == total


async def test_one_goal_with_its_targets(scenario: Scenario, client: AsyncClient) -> None:
    body = (await client.get("/progress/sdgs/5")).json()
    assert body["goal"] == 5
    assert body["recommendations"] == 4
    codes = [t["target"] for t in body["targets"]]
    assert codes[:2] == ["5.1", "5.2"]
    assert codes[-1] is None
    assert len(codes) == 9 + 1
    target = _row(body["targets"], target="5.2")
    assert target["recommendations"] == 2  # B, C
    assert target["by_status"] == _status(partially_implemented=1, in_progress=1)
    assert target["implementation_rate"] == 0.25
    alone = _row(body["targets"], target=None)
    assert alone["recommendations"] == 2  # A and D: the goal, none of its targets
    assert alone["by_status"] == _status(implemented=1, planned=1)
    assert alone["overdue_actions"] == 1
    assert alone["implementation_rate"] == 0.5
    assert _row(body["targets"], target="5.1")["recommendations"] == 0
    assert_problem(await client.get("/progress/sdgs/18"), 422)


async def test_breakdowns(scenario: Scenario, client: AsyncClient) -> None:
    mechanisms = (await client.get("/progress/mechanisms")).json()
    assert mechanisms["total"] == 7  # every counted recommendation once, SDG or not
    assert {r["key"]: r["recommendations"] for r in mechanisms["items"]} == {
        "UPR": 3, "CRC": 2, "CAT": 1, "CEDAW": 1,
    }  # fmt: skip
    crc = _row(mechanisms["items"], key="CRC")
    assert crc["by_status"] == _status(implemented=1, not_started=1)
    assert crc["implementation_rate"] == 0.5
    assert crc["overdue_actions"] == 1
    institutions = (await client.get("/progress/institutions")).json()["items"]
    assert institutions == [_row(institutions, key=scenario["J"])]
    assert institutions[0]["name"] == "Ministry of Justice"
    assert institutions[0]["by_status"] == _status(planned=2)
    countries = (await client.get("/progress/countries", params={"lang": "fr"})).json()["items"]
    assert {r["key"]: r["recommendations"] for r in countries} == {"KEN": 6, "UGA": 1}
    assert _row(countries, key="KEN")["name"] == "Kenya"
    themes = (await client.get("/progress/themes")).json()["items"]
    assert {r["key"]: r["recommendations"] for r in themes} == {scenario["theme"]: 2}


async def test_timeline_from_validation_dates(scenario: Scenario, client: AsyncClient) -> None:
    body = (await client.get("/progress/timeline", params={"interval": "quarter"})).json()
    points = {p["period_end"]: p["by_status"] for p in body["points"]}
    assert body["points"][0]["period_end"] == "2025-03-31"
    # Seven counted recommendations were published by then (F is archived and never counts).
    assert points["2025-03-31"] == _status(in_progress=1, implemented=1, not_started=5)
    assert points["2025-06-30"] == _status(partially_implemented=1, implemented=1, not_started=5)
    assert body["points"][-1]["by_status"] == points["2025-06-30"]
    months = (await client.get("/progress/timeline", params={"interval": "month"})).json()
    by_month = {p["period_end"]: p["by_status"] for p in months["points"]}
    assert by_month["2025-01-31"] == _status(in_progress=1, not_started=6)
    assert by_month["2025-04-30"] == _status(in_progress=1, implemented=1, not_started=5)
    years = (await client.get("/progress/timeline", params={"interval": "year"})).json()
    assert years["points"][0]["period_end"] == "2025-12-31"
    assert_problem(await client.get("/progress/timeline", params={"interval": "week"}), 422)


@pytest.mark.parametrize("interval", ["month", "quarter", "year"])
async def test_the_running_period_ends_today_and_is_not_complete(
    scenario: Scenario, client: AsyncClient, interval: str
) -> None:
    points = (await client.get("/progress/timeline", params={"interval": interval})).json()[
        "points"
    ]
    *past, running = points
    assert running["period_end"] == today().isoformat()
    assert running["complete"] is False
    assert past
    assert all(p["complete"] for p in past)
    assert all(p["period_end"] < running["period_end"] for p in past)


def _chart_parts(svg: bytes) -> tuple[list[Any], list[Any], list[Any]]:
    """The chart's labels, its bars' segments (rects with a <title>) and its legend swatches."""
    root = xml.dom.minidom.parseString(svg).documentElement
    assert root is not None
    texts = root.getElementsByTagName("text")
    labels = [t for t in texts if t.getAttribute("text-anchor") == "end"]
    rects = root.getElementsByTagName("rect")
    segments = [r for r in rects if r.getElementsByTagName("title")]
    swatches = [r for r in rects if r.getAttribute("height") == "14"]
    return labels, segments, swatches


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_the_arabic_chart_is_mirrored(
    scenario: Scenario, anonymous: AsyncClient, lang: str
) -> None:
    svg = (await anonymous.get("/progress/sdgs.svg", params={"lang": lang})).content
    labels, segments, _ = _chart_parts(svg)
    label_ends = [float(t.getAttribute("x")) for t in labels]
    lefts = [float(r.getAttribute("x")) for r in segments]
    rights = [
        left + float(r.getAttribute("width")) for left, r in zip(lefts, segments, strict=True)
    ]
    assert segments
    if lang == "ar":  # labels on the right, bars growing leftwards from them
        assert max(rights) < min(label_ends)
    else:
        assert max(label_ends) < min(lefts)
    by_row: dict[str, list[float]] = {}
    for left, rect in zip(lefts, segments, strict=True):
        by_row.setdefault(rect.getAttribute("y"), []).append(left)
    for row in by_row.values():  # implemented first, next to the label
        assert row == sorted(row, reverse=lang == "ar")


async def test_every_status_of_the_chart_is_visible_and_the_legend_in_colour(
    scenario: Scenario, anonymous: AsyncClient
) -> None:
    _, segments, swatches = _chart_parts((await anonymous.get("/progress/sdgs.svg")).content)
    assert len(swatches) == 5
    for rect in segments + swatches:
        assert float(rect.getAttribute("fill-opacity")) >= 0.2
    palest = [r for r in segments if "not_started" in r.toxml()]
    assert palest
    assert all(r.getAttribute("stroke") == r.getAttribute("fill") for r in palest)
    assert swatches[-1].getAttribute("stroke")  # the "Not started" swatch has its outline
    # The legend in the bars' colours (goal 1's red), not a grey no bar has.
    assert {r.getAttribute("fill") for r in swatches} == {"#E5243B"}


# Goal 5's short title in each UN language, written out here rather than read from the seeds.
GENDER_EQUALITY = {
    "en": "Gender equality",
    "fr": "Égalité entre les sexes",
    "es": "Igualdad de Género",
    "ar": "المساواة بين الجنسين",
    "ru": "Гендерное равенство",
    "zh": "性别平等",
}


@pytest.mark.parametrize("lang", sorted(GENDER_EQUALITY))
async def test_chart_is_valid_svg_in_the_goal_colours(
    scenario: Scenario, anonymous: AsyncClient, lang: str
) -> None:
    response = await anonymous.get("/progress/sdgs.svg", params={"lang": lang})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    document = xml.dom.minidom.parseString(response.content)
    root = document.documentElement
    assert root is not None
    assert root.tagName == "svg"
    text = response.text
    assert "#FF3A21" in text  # goal 5's colour
    assert len(re.findall(r"<text[^>]*text-anchor=\"end\"", text)) == 17
    title = f"5. {GENDER_EQUALITY[lang]}"
    assert f"<title>{title}</title>" in text
    # Right-to-left labels are embedded (U+202B…U+202C) so that they read the right way.
    shown = f"\u202b{title}\u202c" if lang == "ar" else title
    assert f"</title>{shown}</text>" in text
    goal = await anonymous.get("/progress/sdgs/5.svg", params={"lang": lang})
    assert goal.status_code == 200
    assert "5.2" in goal.text
    xml.dom.minidom.parseString(goal.content)
