"""POST /api/v1/reports (DESIGN §10): every format read back, compared with the others and with
the database, section by section; only validated progress; Arabic and Chinese; bad input."""

import asyncio
import threading
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from markdown_it import MarkdownIt

from app.models.user import Role, TokenScope
from app.reports import output
from app.web.i18n import translations
from tests.accounts import bearer, make_api_token, make_user
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation
from tests.reports.readers import Outline, docx_outline, docx_xml, html_outline, md_outline
from tests.reports.scenario import HOSTILE, UNVALIDATED, Scenario, make_scenario

FORMATS = ("docx", "md", "html")
UPR = {"kind": "upr_midterm", "country": "KEN", "cycle": 3, "group_by": "cluster"}


@pytest.fixture
async def scenario(app: FastAPI, client: AsyncClient) -> Scenario:
    return await make_scenario(app, client)


async def produce(client: AsyncClient, body: dict[str, Any], fmt: str) -> bytes:
    response = await client.post("/reports", json={**body, "format": fmt})
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment; filename=")
    assert disposition.endswith(f'.{fmt}"')
    return response.content


async def outlines(client: AsyncClient, body: dict[str, Any]) -> tuple[Outline, dict[str, bytes]]:
    """The report in the three formats: one outline, the same whatever the format."""
    files = {fmt: await produce(client, body, fmt) for fmt in FORMATS}
    from_docx, docx_contents = docx_outline(files["docx"])
    from_md, md_contents = md_outline(files["md"])
    from_html, html_contents, _, _ = html_outline(files["html"])
    assert from_md == from_docx
    assert from_html == from_docx
    sections = [h[2] for h in from_docx if h[0] == "h" and 1 <= h[1] <= 2][1:]  # not "Contents"
    assert docx_contents == md_contents == html_contents == sections
    return from_docx, files


def tr(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def line(lang: str, name: str, value: str) -> str:
    """A "label: value" line as the language writes it."""
    labelled = tr(lang, "%(label)s:") % {"label": tr(lang, name)}
    return f"{labelled}{value}" if labelled.endswith("：") else f"{labelled} {value}"


def section(outline: Outline, heading: str) -> Outline:
    """From the recommendation's heading to the next heading (cross-references left out)."""
    start = outline.index(
        next(item for item in outline if item[:1] == ("h",) and item[2] == heading)
    )
    found = [outline[start]]
    for item in outline[start + 1 :]:
        if item[0] == "h" or (item[0] == "p" and item[1].startswith("Also concerned")):
            break
        found.append(item)
    return found


async def expected_section(client: AsyncClient, rec_id: str) -> Outline:
    """What the report must say about a recommendation, read back through the API."""
    rec = (await client.get(f"/recommendations/{rec_id}")).json()
    ref = f"{rec['symbol']}, para. {rec['paragraph']}" if rec["paragraph"] else rec["symbol"]
    names = {}
    for item in (await client.get("/institutions", params={"limit": 500})).json()["items"]:
        names[item["id"]] = item["name"]
    assigned = (await client.get(f"/recommendations/{rec_id}/assignments")).json()["items"]
    lead = [names[a["institution_id"]] for a in assigned if a["role"] == "lead"]
    support = sorted(names[a["institution_id"]] for a in assigned if a["role"] == "support")
    status_words = {"not_started": "Not started", "planned": "Planned",
                    "in_progress": "In progress",
                    "partially_implemented": "Partially implemented", "implemented": "Implemented",
                    "completed": "Completed", "cancelled": "Cancelled"}  # fmt: skip
    out: Outline = [("h", 3, ref), ("p", " ".join(rec["text"]["en"].split()))]
    if rec["mechanism"]["type"] == "upr":
        out.append(("p", f"UPR position: {rec['upr']['position'].capitalize()}"))
        out.append(("p", f"Recommending States: {'; '.join(rec['upr']['recommending_states'])}"))
    out.append(("p", f"Status: {status_words[rec['status']]}"))
    out.append(("p", f"Lead institution: {lead[0] if lead else '—'}"))
    out.append(("p", f"Supporting institutions: {'; '.join(support) or '—'}"))
    actions = (await client.get("/actions", params={"recommendation": rec_id})).json()["items"]
    if actions:
        actions.sort(key=lambda a: (a["due_date"] is None, a["due_date"] or "", a["title"]))
        out.append(("p", "Actions"))
        rows = tuple(
            (a["title"], names.get(a["institution_id"], "—"), status_words[a["status"]],
             a["start_date"] or "—", a["due_date"] or "—")
            for a in actions
        )  # fmt: skip
        out.append(("t", ("Action", "Responsible institution", "Status", "Start", "Due"), rows))
    else:
        out.append(("p", "Actions: None planned"))
    indicators = (await client.get("/indicators", params={"recommendation": rec_id})).json()
    if indicators["items"]:
        out.append(("p", "Indicators"))
        rows_ = []
        for ind in indicators["items"]:
            measured = (await client.get(f"/indicators/{ind['id']}/measurements")).json()["items"]
            last = measured[-1]

            def shown(value: float, day: str, unit: str = ind["unit"]) -> str:
                return f"{value:g} {unit} ({day})"

            rows_.append((ind["name"], shown(ind["baseline"], ind["baseline_date"]),
                          shown(last["value"], last["date"]),
                          shown(ind["target"], ind["target_date"])))  # fmt: skip
        out.append(("t", ("Indicator", "Baseline", "Latest value", "Target"), tuple(rows_)))
    updates = (
        await client.get(
            "/progress-updates", params={"recommendation": rec_id, "state": "validated"}
        )
    ).json()["items"]
    if updates:
        latest = max(updates, key=lambda u: u["validated_at"])
        day = latest["validated_at"][:10]
        out.append(
            ("p", f"Latest validated progress: {status_words[latest['assessment']]} ({day})")
        )
        if latest["narrative"]:
            out.append(("p", " ".join(latest["narrative"].split())))
    else:
        out.append(("p", "Latest validated progress: None yet"))
    return out


def paragraphs(outline: Outline) -> list[str]:
    return [item[1] for item in outline if item[0] == "p"]


def tables(outline: Outline) -> list[tuple[Any, ...]]:
    return [item[1:] for item in outline if item[0] == "t"]


def headings(outline: Outline, level: int) -> list[str]:
    return [item[2] for item in outline if item[0] == "h" and item[1] == level]


async def test_upr_midterm_in_every_format_says_what_the_database_holds(
    client: AsyncClient, scenario: Scenario
) -> None:
    outline, files = await outlines(client, UPR)
    assert outline[0] == (
        "h", 0,
        "Universal Periodic Review: mid-term report on the implementation of recommendations",
    )  # fmt: skip
    lines = paragraphs(outline)
    assert lines[:3] == [
        "State concerned: Kenya",
        "Mechanism: Universal Periodic Review",
        "Cycle: 3",
    ]
    assert headings(outline, 1) == [
        "Contents", "Summary", "Recommendations by cluster",
        "Annex: all the recommendations of this report",
    ]  # fmt: skip
    in_scope = (
        await client.get("/recommendations", params={"country": "KEN", "mechanism": "UPR",
                                                     "upr_cycle": 3, "limit": 500})
    ).json()["items"]  # fmt: skip
    assert {r["id"] for r in in_scope} == {scenario[n] for n in ("U1", "U2", "U3")}
    # The summary: counts by status and UPR position, from the database.
    statuses = [r["status"] for r in in_scope]
    status_table, position_table, annex = (
        tables(outline)[0],
        tables(outline)[1],
        tables(outline)[-1],
    )
    assert status_table[0] == ("Status", "Recommendations")
    assert dict(status_table[1]) == {
        "Not started": str(statuses.count("not_started")),
        "Planned": str(statuses.count("planned")),
        "In progress": str(statuses.count("in_progress")),
        "Partially implemented": str(statuses.count("partially_implemented")),
        "Implemented": str(statuses.count("implemented")), "Total": "3",
    }  # fmt: skip
    assert dict(position_table[1]) == {"Supported": "2", "Noted": "1", "No position": "0"}
    # Partially implemented counts half: 0.5 / 3.
    assert "Implementation rate: 16.7%" in lines
    # Groups: a recommendation in two clusters is shown under the first, named under the other.
    assert headings(outline, 2) == ["Access to justice", "Children", "Not in any cluster"]
    assert "Also concerned, shown under another heading: A/HRC/50/9, para. 132.10" in lines
    # Every recommendation's section, against the API's view of the database.
    for name in ("U1", "U2", "U3"):
        expected = await expected_section(client, scenario[name])
        assert section(outline, expected[0][2]) == expected
    # The annex: supported first, then noted, paragraphs in natural order.
    assert annex[0] == ("No.", "Symbol and paragraph", "UPR position", "Status",
                        "Lead institution", "Latest validated progress")  # fmt: skip
    assert [row[1:3] for row in annex[1]] == [
        ("A/HRC/50/9, para. 132.9", "Supported"), ("A/HRC/50/9, para. 132.100", "Supported"),
        ("A/HRC/50/9, para. 132.10", "Noted"),
    ]  # fmt: skip
    # Only validated progress, in every file.
    raw = {
        "docx": docx_xml(files["docx"]),
        "md": files["md"].decode(),
        "html": files["html"].decode(),
    }
    for text in raw.values():
        assert "VALIDATED-U1" in text
        for secret in UNVALIDATED:
            assert secret not in text
    # Texts are escaped: nothing in them becomes markup.
    assert "<script>" not in raw["html"]
    assert "&lt;script&gt;" in raw["html"]
    rendered = MarkdownIt("commonmark").enable("table").render(raw["md"])
    assert "<script>" not in rendered
    assert "<em>star</em>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt; *star* _under_ | pipe # hash" in rendered
    assert " ".join(HOSTILE.split()) in " ".join(paragraphs(outline))


async def test_the_docx_is_built_for_a_word_processor(
    client: AsyncClient, scenario: Scenario
) -> None:
    content = await produce(client, UPR, "docx")
    body = docx_xml(content)
    assert 'TOC \\o "1-2" \\h \\z \\u' in body
    assert 'w:fldCharType="begin"' in body
    assert "<w:tblHeader/>" in body  # table headers repeat on each page
    settings = docx_xml(content, "word/settings.xml")
    assert "w:updateFields" in settings
    footer = docx_xml(content, "word/footer1.xml") if "footer1" in str(content) else ""
    footers = [docx_xml(content, f"word/{n}") for n in _parts(content) if n.startswith("footer")]
    assert any(" PAGE " in f and " NUMPAGES " in f and "Page " in f for f in footers), footer
    styles = docx_xml(content, "word/styles.xml")
    for style in ("Heading1", "Heading2", "Heading3", "Title", "TOC1"):
        assert f'w:styleId="{style}"' in styles


def _parts(content: bytes) -> list[str]:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return [n.removeprefix("word/") for n in package.namelist() if n.startswith("word/")]


@pytest.mark.parametrize("lang", ["ar", "zh"])
async def test_arabic_and_chinese_reports(
    client: AsyncClient, scenario: Scenario, lang: str
) -> None:
    outline, files = await outlines(client, {**UPR, "lang": lang})
    assert headings(outline, 1)[1] == tr(lang, "Summary") != "Summary"
    assert outline[0][2] == tr(
        lang, "Universal Periodic Review: mid-term report on the implementation of recommendations"
    )
    lines = paragraphs(outline)
    assert line(lang, "State concerned", "كينيا" if lang == "ar" else "肯尼亚") in lines
    # U2 has a text in the language; U1 has none and shows English, marked as such.
    u2 = section(outline, tr(lang, "%(symbol)s, para. %(paragraph)s")
                 % {"symbol": "A/HRC/50/9", "paragraph": "132.10"})  # fmt: skip
    assert u2[1] == (
        "p",
        "حماية الفتيات من الزواج المبكر." if lang == "ar" else "保护女童免遭早婚。",
    )
    u1 = section(outline, tr(lang, "%(symbol)s, para. %(paragraph)s")
                 % {"symbol": "A/HRC/50/9", "paragraph": "132.9"})  # fmt: skip
    english = "الإنجليزية" if lang == "ar" else "英语"
    marker = tr(lang, "Text in %(language)s") % {"language": english}
    assert u1[1] == ("p", f"[{marker}] Strengthen the independence of the judiciary.")
    assert line(lang, "Status", tr(lang, "Partially implemented")) in [i[1] for i in u1]
    _, _, attrs, langs = html_outline(files["html"])
    assert attrs == {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}
    assert ("en", "ltr") in langs
    body = docx_xml(files["docx"])
    if lang == "ar":
        assert "<w:bidi/>" in body
        assert "<w:rtl/>" in body
        assert "<w:bidiVisual/>" in body
    else:
        assert "<w:bidi/>" not in body
    for secret in UNVALIDATED:
        assert secret not in body


async def test_treaty_followup_by_sdg(client: AsyncClient, scenario: Scenario) -> None:
    body = {"kind": "treaty_followup", "country": "KEN", "symbol": "CRC/C/KEN/CO/6",
            "group_by": "sdg"}  # fmt: skip
    outline, _ = await outlines(client, body)
    assert outline[0][2] == "Follow-up report on the concluding observations"
    lines = paragraphs(outline)
    assert "Mechanism: All mechanisms" in lines
    assert "Document symbol: CRC/C/KEN/CO/6" in lines
    assert headings(outline, 2) == [
        "Goal 4: Quality education",
        "Not linked to a Sustainable Development Goal",
    ]
    assert headings(outline, 3) == ["CRC/C/KEN/CO/6, para. 12(b)", "CRC/C/KEN/CO/6, para. 7"]
    for name in ("T1", "T2"):
        expected = await expected_section(client, scenario[name])
        assert section(outline, expected[0][2]) == expected
    annex = tables(outline)[-1]
    assert [row[1] for row in annex[1]] == [
        "CRC/C/KEN/CO/6, para. 7",
        "CRC/C/KEN/CO/6, para. 12(b)",
    ]


async def test_implementation_plan_by_institution_and_by_theme(
    client: AsyncClient, scenario: Scenario
) -> None:
    outline, _ = await outlines(
        client, {"kind": "implementation_plan", "country": "KEN", "group_by": "institution"}
    )
    assert headings(outline, 2) == [
        "Ministry of Justice", "National Bureau of Statistics", "Not assigned to an institution"
    ]  # fmt: skip
    annex = tables(outline)[-1]
    # Every mechanism and cycle: U1-U3, the cycle-2 one, T1 and T2 (not Uganda's, not archived).
    assert len(annex[1]) == 6
    themed, _ = await outlines(
        client, {"kind": "implementation_plan", "country": "KEN", "group_by": "theme", "lang": "fr"}
    )
    assert headings(themed, 2) == ["Sans thème"]
    assert "État concerné : Kenya" in paragraphs(themed)


async def test_a_report_of_nothing_is_a_valid_document(client: AsyncClient) -> None:
    body = {"kind": "upr_midterm", "country": "NOR", "cycle": 1}
    outline, _ = await outlines(client, body)
    assert "No recommendation matches this report." in paragraphs(outline)
    assert tables(outline)[0][1][-1] == ("Total", "0")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "annual"}, "kind"),
        ({"lang": "de"}, "lang"),
        ({"group_by": "ministry"}, "group_by"),
        ({"format": "pdf"}, "format"),
        ({"country": "XXX"}, "country"),
        ({"country": "K1"}, "country"),
        ({"mechanism": "NOPE"}, "mechanism"),
        ({"mechanism": "CRC"}, "mechanism"),
        ({"cycle": None}, "body"),
        ({"cycle": 9}, "cycle"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_requests_are_422(
    client: AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post("/reports", json={**UPR, **change})
    assert_problem(response, 422)
    assert field in response.text


async def test_treaty_followup_needs_a_symbol(client: AsyncClient) -> None:
    response = await client.post("/reports", json={"kind": "treaty_followup", "country": "KEN"})
    assert_problem(response, 422)
    assert "symbol" in response.text


async def test_viewers_and_up_may_ask(
    app: FastAPI, anonymous: AsyncClient, scenario: Scenario
) -> None:
    assert_problem(await anonymous.post("/reports", json=UPR), 401)
    _, secret = await make_api_token(app, await make_user(app, Role.viewer), TokenScope.read)
    for headers in (
        bearer(app, await make_user(app, Role.viewer)),
        bearer(app, await make_user(app, Role.focal_point)),
        {"Authorization": f"Bearer {secret}"},
    ):
        response = await anonymous.post("/reports", json={**UPR, "format": "md"}, headers=headers)
        assert response.status_code == 200, response.text
        assert "VALIDATED-U1" in response.text


async def test_treaty_followup_leads_with_the_follow_up_paragraphs(
    client: AsyncClient, scenario: Scenario
) -> None:
    """A coordinator marks paragraph 7 for the follow-up procedure, due on 2027-01-31: it leads."""
    listed = await client.get("/recommendations", params={"symbol": "CRC/C/KEN/CO/6", "limit": 100})
    (seven,) = [r for r in listed.json()["items"] if r["paragraph"] == "7"]
    marked = await client.patch(
        f"/recommendations/{seven['id']}",
        json={"follow_up_due": "2027-01-31"},
        headers={"If-Match": f'"{seven["version"]}"'},
    )
    assert marked.status_code == 200, marked.text
    body = {"kind": "treaty_followup", "country": "KEN", "symbol": "CRC/C/KEN/CO/6"}
    outline, _ = await outlines(client, body)
    assert headings(outline, 1)[2:4] == [
        "Paragraphs selected for follow-up",
        "Recommendations by cluster",
    ]
    followed = section(outline, "CRC/C/KEN/CO/6, para. 7")
    assert followed[0] == ("h", 2, "CRC/C/KEN/CO/6, para. 7")
    assert ("p", "Follow-up due: 2027-01-31") in followed
    assert headings(outline, 3) == ["CRC/C/KEN/CO/6, para. 12(b)"]  # the rest, grouped


async def test_reports_render_in_a_worker_thread_and_a_full_process_answers_503(
    app: FastAPI, client: AsyncClient, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rendering is plain Python taking up to seconds: off the event loop, and only
    # RECTRACK_MAX_CONCURRENT_DOCUMENTS (2) at once per process; more are told to retry.
    release = threading.Event()
    loop_thread = threading.get_ident()
    rendered_in: list[int] = []
    write_html = output.WRITERS["html"]

    def slow_html(report: Any) -> bytes:
        rendered_in.append(threading.get_ident())
        assert release.wait(10)  # a render on the event loop would hang the whole test here
        return write_html(report)

    monkeypatch.setitem(output.WRITERS, "html", slow_html)
    body = {**UPR, "format": "html"}
    slow = [asyncio.create_task(client.post("/reports", json=body)) for _ in range(2)]
    for _ in range(500):
        if len(rendered_in) == 2:
            break
        await asyncio.sleep(0.01)
    assert len(rendered_in) == 2
    full = await client.post("/reports", json=body)
    release.set()
    assert_problem(full, 503)
    assert full.headers["retry-after"] == "5"
    assert [r.status_code for r in await asyncio.gather(*slow)] == [200, 200]
    assert loop_thread not in rendered_in
    assert (await client.post("/reports", json=body)).status_code == 200  # slots given back


async def test_control_characters_stored_by_the_api_leave_every_format_readable(
    client: AsyncClient,
) -> None:
    """The API stores what it is sent; XML 1.0 cannot hold most control characters, so the DOCX
    leaves them out (lxml would refuse the whole body) while the text around them stays."""
    body = {
        "kind": "treaty_followup",
        "country": "NOR",
        "mechanism": "CRC",
        "symbol": "CRC/C/NOR/CO/\x016",
    }
    made = await create_recommendation(
        client, mechanism="CRC", countries=["NOR"], symbol=body["symbol"], paragraph="4\x0b(a)",
        text={"en": "Adopt\x07 a law\x1b on\x02 child labour.\x0c"},
    )  # fmt: skip
    cluster = await client.post(
        "/clusters", json={"name": "Child\x08 labour", "recommendation_ids": [made["id"]]}
    )
    assert cluster.status_code == 201, cluster.text
    outline, files = await outlines(client, {**body, "group_by": "cluster"})
    shown = " ".join(paragraphs(outline))
    assert "Adopt a law on child labour." in shown
    assert "Child labour" in [h[2] for h in outline if h[0] == "h"]
    assert not any(chr(c) in docx_xml(files["docx"]) for c in (1, 2, 7, 8, 0x1B))
