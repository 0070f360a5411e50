"""GET /recommendations/export: every column of every format read back and compared with the
database, formula-like texts neutralised, bad filters refused, nothing exported as an empty file."""

import datetime as dt
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from starlette.types import Message

from app.exports import service
from app.i18n import Language, localize
from app.models.assignment import Assignment, AssignmentRole
from app.models.cluster import ClusterRecommendation
from app.models.institution import Institution
from app.models.recommendation import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationTheme,
)
from app.models.sdg import target_sort_order
from tests.accounts import make_institution
from tests.conftest import ClientFactory
from tests.exports.files import assert_files_agree, read_csv, read_ndjson, read_xlsx
from tests.planning.factories import assign
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, list_all

COLUMNS = service.RECOMMENDATION_COLUMNS
INJECTIONS = ['=HYPERLINK("http://evil.example")', "+1+2", "-3", "@SUM(A1:A2)", "\tx", "\ry"]


async def expected_rows(app: FastAPI, lang: Language) -> list[dict[str, Any]]:
    """What the export should hold, read with the ORM (not the export's query), in its
    default order: newest publication first."""
    async with app.state.sessionmaker() as session:
        recs = (
            await session.scalars(
                select(Recommendation)
                .where(Recommendation.archived.is_(False))
                .options(
                    selectinload(Recommendation.mechanism),
                    selectinload(Recommendation.country_links),
                    selectinload(Recommendation.recommending_state_links),
                    selectinload(Recommendation.theme_links).selectinload(
                        RecommendationTheme.theme
                    ),
                    selectinload(Recommendation.affected_person_links).selectinload(
                        RecommendationAffectedPerson.affected_person
                    ),
                    selectinload(Recommendation.sdg_goal_links),
                    selectinload(Recommendation.sdg_target_links),
                    selectinload(Recommendation.cluster_links).selectinload(
                        ClusterRecommendation.cluster
                    ),
                )
                .order_by(Recommendation.publication_date.desc(), Recommendation.id.desc())
            )
        ).all()
        leads = {
            a.recommendation_id: (name, a.due_date)
            for a, name in (
                await session.execute(
                    select(Assignment, Institution.name)
                    .join(Institution, Institution.id == Assignment.institution_id)
                    .where(Assignment.role == AssignmentRole.lead)
                )
            ).all()
        }
    rows = []
    for r in recs:
        lead, due = leads.get(r.id, (None, None))
        rows.append(
            {
                "uhri_id": r.uhri_id,
                "symbol": r.symbol,
                "paragraph": r.paragraph,
                "type": r.type,
                "mechanism": r.mechanism.code,
                "mechanism_type": r.mechanism.type,
                "countries": sorted(c.country_iso3 for c in r.country_links),
                "text": r.text.get(lang) or r.text.get("en"),
                "upr_position": r.upr_position,
                "recommending_states": sorted(s.name for s in r.recommending_state_links),
                "upr_cycle": r.upr_cycle,
                "upr_session": r.upr_session,
                "publication_date": r.publication_date,
                "sdg_goals": sorted(g.goal_number for g in r.sdg_goal_links),
                "sdg_targets": sorted(
                    (t.target_code for t in r.sdg_target_links), key=target_sort_order
                ),
                "themes": sorted(localize(t.theme.name, lang) for t in r.theme_links),
                "affected_persons": sorted(
                    localize(a.affected_person.name, lang) for a in r.affected_person_links
                ),
                "priority": r.priority,
                "clusters": sorted(
                    c.cluster.name for c in r.cluster_links if not c.cluster.archived
                ),
                "status": r.status,
                "lead_institution": lead,
                "due_date": due,
            }
        )
    return rows


async def _labels(client: AsyncClient, path: str) -> list[str]:
    return [item["id"] for item in (await client.get(path, params={"limit": 3})).json()["items"]]


async def _corpus(app: FastAPI, client: AsyncClient) -> list[dict[str, Any]]:
    """Recommendations with every column filled in some row, and formula-like texts."""
    themes, groups = await _labels(client, "/themes"), await _labels(client, "/affected-persons")
    upr = await create_recommendation(
        client, uhri_id="UPR-1", symbol="A/HRC/34/8", paragraph="132.90", mechanism="UPR",
        countries=["KEN", "UGA"], publication_date="2017-01-05",
        text={"en": "Ratify OPCAT.", "fr": "Ratifier l'OPCAT.", "zh": "批准《任择议定书》"},
        upr={"position": "supported", "recommending_states": ["Denmark", "Åland", "Chile"],
             "cycle": 2, "session": 27},
        themes=themes, affected_persons=groups[:2], sdg_goals=[5, 16],
        sdg_targets=["16.10", "16.2", "16.a"], priority="high",
    )  # fmt: skip
    hostile = await create_recommendation(
        client, uhri_id="@uhri", symbol="=cmd|'/C calc'!A0", paragraph="+1",
        publication_date="2016-03-21", text={"en": INJECTIONS[0], "fr": "Texte"},
        priority="low",
    )  # fmt: skip
    plain = await create_recommendation(client, publication_date="2015-02-01")
    for text in INJECTIONS[1:]:
        await create_recommendation(client, publication_date="2014-01-01", text={"en": text})
    evil = await make_institution(app, "-Ministry of Formulas")
    justice = await make_institution(app, "Ministry of Justice")
    await assign(client, upr["id"], str(justice.id), due_date="2027-06-30")
    await assign(client, hostile["id"], str(evil.id))
    await assign(client, plain["id"], str(justice.id), role="support")
    for name in ("Torture", "@Detention"):
        response = await client.post(
            "/clusters", json={"name": name, "recommendation_ids": [upr["id"], hostile["id"]]}
        )
        assert response.status_code == 201, response.text
    archived = await create_recommendation(client, publication_date="2018-01-01")
    gone = await client.delete(
        f"/recommendations/{archived['id']}", headers={"If-Match": f'"{archived["version"]}"'}
    )
    assert gone.status_code == 204, gone.text
    return [upr, hostile, plain]


async def _export(http: AsyncClient, fmt: str, **params: Any) -> bytes:
    response = await http.get("/recommendations/export", params={"format": fmt, **params})
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_every_column_of_every_format_matches_the_database(
    app: FastAPI, client: AsyncClient, lang: Language
) -> None:
    await _corpus(app, client)
    files = [await _export(client, fmt, lang=lang) for fmt in ("csv", "xlsx", "ndjson")]
    expected = await expected_rows(app, lang)
    assert len(expected) == 8
    assert_files_agree(COLUMNS, expected, *files)
    # The fixed columns of DESIGN §10, in their order.
    assert [c.name for c in COLUMNS] == [
        "uhri_id",
        "symbol",
        "paragraph",
        "type",
        "mechanism",
        "mechanism_type",
        "countries",
        "text",
        "upr_position",
        "recommending_states",
        "upr_cycle",
        "upr_session",
        "publication_date",
        "sdg_goals",
        "sdg_targets",
        "themes",
        "affected_persons",
        "priority",
        "clusters",
        "status",
        "lead_institution",
        "due_date",
    ]


async def test_formula_like_texts_are_neutralised_in_spreadsheets_only(
    app: FastAPI, client: AsyncClient
) -> None:
    await _corpus(app, client)
    _, csv_rows = read_csv(await _export(client, "csv"))
    _, xlsx_rows = read_xlsx(await _export(client, "xlsx"))
    json_rows = read_ndjson(await _export(client, "ndjson"))
    texts = [r["text"] for r in json_rows]
    for injection in INJECTIONS:
        assert injection in texts  # NDJSON keeps texts as stored
    for rows in (csv_rows, xlsx_rows):
        for injection in INJECTIONS:
            assert "'" + injection in [r["text"] for r in rows]
        hostile = next(r for r in rows if r["uhri_id"] == "'@uhri")
        assert hostile["symbol"] == "'=cmd|'/C calc'!A0"
        assert hostile["paragraph"] == "'+1"
        assert hostile["lead_institution"] == "'-Ministry of Formulas"
        # A cell of several values is one cell: it is the cell's start that counts.
        assert hostile["clusters"] == "'@Detention; Torture"
        for row in rows:
            for value in row.values():
                assert not (isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t"))
    hostile_json = next(r for r in json_rows if r["uhri_id"] == "@uhri")
    assert hostile_json["symbol"] == "=cmd|'/C calc'!A0"
    assert hostile_json["clusters"] == ["@Detention", "Torture"]


async def test_filters_and_sorts_are_those_of_the_list(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _corpus(app, client)
    # Batches of two: the keyset walk crosses several batch boundaries.
    monkeypatch.setattr(service, "BATCH_SIZE", 2)
    cases: list[dict[str, Any]] = [
        {},
        {"country": "UGA"},
        {"sdg_goal": 16, "priority": "high"},
        {"priority": "none"},
        {"q": "OPCAT"},
        {"archived": "true"},
        {"published_from": "2015-01-01", "published_to": "2016-12-31"},
    ]
    sorts = ["-publication_date", "publication_date", "symbol", "-symbol", "priority", "status"]
    for params in cases + [{"sort": s} for s in sorts]:
        listed = await list_all(client, **params)
        exported = read_ndjson(await _export(client, "ndjson", **params))
        assert [(r["symbol"], r["paragraph"]) for r in exported] == [
            (r["symbol"], r["paragraph"]) for r in listed
        ], params


async def test_the_public_gets_what_the_public_list_shows(
    app: FastAPI, client: AsyncClient, anonymous: AsyncClient
) -> None:
    await _corpus(app, client)
    for fmt in ("csv", "ndjson"):
        assert await _export(anonymous, fmt) == await _export(client, fmt)


async def test_headers_name_a_dated_attachment(app: FastAPI, client: AsyncClient) -> None:
    types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ndjson": "application/x-ndjson",
    }
    today = dt.datetime.now(dt.UTC).date().isoformat()
    for fmt, media_type in types.items():
        response = await client.get("/recommendations/export", params={"format": fmt})
        assert response.status_code == 200
        assert response.headers["content-type"] == media_type
        disposition = response.headers["content-disposition"]
        assert disposition == f'attachment; filename="recommendations-{today}.{fmt}"'
        assert response.headers["cache-control"] == "no-store"
    default = await client.get("/recommendations/export")
    assert default.headers["content-type"].startswith("text/csv")


async def test_an_export_of_nothing_is_a_valid_empty_file(
    app: FastAPI, client: AsyncClient
) -> None:
    await create_recommendation(client)
    names = [c.name for c in COLUMNS]
    params = {"country": "FRA"}
    csv_body = await _export(client, "csv", **params)
    assert read_csv(csv_body) == (names, [])
    assert csv_body == ("\ufeff" + ",".join(names) + "\r\n").encode()
    assert read_xlsx(await _export(client, "xlsx", **params)) == (names, [])
    assert await _export(client, "ndjson", **params) == b""


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "pdf"}, "query.format"),
        ({"lang": "xx"}, "query.lang"),
        ({"country": "XXX"}, "query.country"),
        ({"sdg_goal": "99"}, "query.sdg_goal"),
        ({"status": "done"}, "query.status"),
        ({"mechanism": "NOPE"}, "query.mechanism"),
        ({"theme": str(uuid.uuid4())}, "query.theme"),
        ({"follow_up": "maybe"}, "query.follow_up"),
        ({"sort": "text"}, "query.sort"),
        ({"published_from": "2020-01-01", "published_to": "2019-01-01"}, "query.published_from"),
    ],
)
async def test_bad_values_are_refused(
    anonymous: AsyncClient, params: dict[str, str], field: str
) -> None:
    assert_problem(await anonymous.get("/recommendations/export", params=params), 422, field)


async def test_cells_beyond_excel_s_limit_are_cut_there(app: FastAPI, client: AsyncClient) -> None:
    long_text = "x" * 40_000
    await create_recommendation(client, text={"en": long_text})
    _, [row] = read_xlsx(await _export(client, "xlsx"))
    assert row["text"] == long_text[:32_767]
    _, [csv_row] = read_csv(await _export(client, "csv"))
    assert csv_row["text"] == long_text


async def test_export_follows_the_lead_institution_of_each_recommendation(
    app: FastAPI, make_client: ClientFactory, client: AsyncClient
) -> None:
    rec = await create_recommendation(client)
    first = await make_institution(app, "Ministry A")
    lead = await assign(client, rec["id"], str(first.id), due_date="2030-01-01")
    [row] = read_ndjson(await _export(client, "ndjson"))
    assert (row["lead_institution"], row["due_date"]) == ("Ministry A", "2030-01-01")
    withdrawn = await client.delete(
        f"/assignments/{lead['id']}", headers={"If-Match": f'"{lead["version"]}"'}
    )
    assert withdrawn.status_code == 204, withdrawn.text
    [row] = read_ndjson(await _export(client, "ndjson"))
    assert (row["lead_institution"], row["due_date"]) == (None, None)


async def test_xlsx_exports_are_bounded_per_process_and_give_their_slot_back(
    app: FastAPI, client: AsyncClient
) -> None:
    await create_recommendation(client, text={"en": "Bounded"})
    slots = app.state.document_slots
    assert slots.limit == 2  # RECTRACK_MAX_CONCURRENT_DOCUMENTS
    slots.busy = slots.limit  # two reports or workbooks being made right now
    full = await client.get("/recommendations/export", params={"format": "xlsx"})
    assert_problem(full, 503)
    assert full.headers["retry-after"] == "5"
    # CSV streams row by row and is not bounded.
    assert (
        await client.get("/recommendations/export", params={"format": "csv"})
    ).status_code == 200
    slots.busy = 0
    for _ in range(3):  # more than the limit, one after another: each gives its slot back
        answer = await client.get("/recommendations/export", params={"format": "xlsx"})
        assert answer.status_code == 200, answer.text
        assert read_xlsx(answer.content)
    assert slots.busy == 0


async def test_an_xlsx_download_dropped_before_its_first_byte_gives_its_slot_back(
    app: FastAPI, client: AsyncClient
) -> None:
    """A client that hangs up at once: the response never starts its stream, whose own cleanup
    would then never run; the slot must come back all the same."""
    await create_recommendation(client, text={"en": "Dropped"})
    slots = app.state.document_slots
    sent: list[Message] = []

    async def hung_up() -> Message:
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)
        raise OSError("the client went away")

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/api/v1/recommendations/export", "raw_path": b"",
        "root_path": "", "query_string": b"format=xlsx", "headers": [(b"host", b"test")],
        "client": ("127.0.0.1", 1), "server": ("test", 80),
    }  # fmt: skip
    with pytest.raises(OSError, match="went away"):
        await app(scope, hung_up, send)
    assert sent[0]["type"] == "http.response.start"
    assert slots.busy == 0
