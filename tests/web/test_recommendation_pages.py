"""The public pages: search, filters, excerpts, languages, errors, and the coordinator's forms."""

import re
import uuid

from fastapi import FastAPI
from sqlalchemy import select

from app.models.assignment import Assignment
from app.models.recommendation import Recommendation
from app.models.user import Role, User
from tests.accounts import bearer
from tests.web.corpus import fill
from tests.web.pages import browser, csrf_token, signed_in_browser


async def test_search_marks_the_term_in_the_text_where_it_was_found(app: FastAPI) -> None:
    corpus = await fill(app, count=8)
    async with browser(app) as client:
        page = await client.get("/recommendations", params={"q": "酷刑"})
    assert page.status_code == 200
    rows = re.findall(r'<li class="result">', page.text)
    assert len(rows) == len(corpus.torture_ids) == 2
    # Found in the Chinese text only: the Chinese text is shown, marked as such.
    assert "<mark>酷刑</mark>" in page.text
    assert '<p class="excerpt" lang="zh" dir="ltr">' in page.text


async def test_search_terms_are_escaped(app: FastAPI) -> None:
    async with browser(app) as client:
        page = await client.get("/recommendations", params={"q": '<script>alert(1)</script>"'})
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


async def test_filters_take_the_apis_names_and_bad_values_come_back_next_to_the_filter(
    app: FastAPI,
) -> None:
    await fill(app, count=8)
    async with browser(app) as client:
        goal5 = await client.get("/recommendations", params={"sdg_goal": "5"})
        bad = await client.get("/recommendations", params={"sdg_goal": "99", "country": "XXX"})
    assert goal5.text.count('<li class="result">') == 2  # the CEDAW ones
    assert bad.status_code == 200
    assert 'id="f-sdg_goal-error"' in bad.text
    assert 'id="f-country-error"' in bad.text


async def test_a_text_missing_in_the_page_language_shows_in_english_marked(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    english_only = corpus.torture_ids[0]
    async with browser(app) as client:
        client.cookies.set("rectrack_lang", "fr")
        page = await client.get("/recommendations", params={"mechanism": "CAT"})
        detail = await client.get(f"/recommendations/{english_only}")
    assert '<html lang="fr" dir="ltr">' in page.text
    assert (
        '<p class="excerpt" lang="en" dir="ltr"><span class="lang-tag">English</span>' in page.text
    )
    assert 'lang="zh"' in detail.text  # every language's text on the detail page


async def test_arabic_pages_are_right_to_left_and_the_switcher_remembers(app: FastAPI) -> None:
    async with browser(app) as client:
        arabic = await client.get("/", headers={"Accept-Language": "ar-EG,ar;q=0.9,en;q=0.5"})
        assert '<html lang="ar" dir="rtl">' in arabic.text
        switched = await client.get("/language/zh", params={"next": "/recommendations"})
        assert switched.status_code == 303
        assert switched.headers["location"] == "/recommendations"
        chinese = await client.get("/recommendations", headers={"Accept-Language": "ar"})
        assert '<html lang="zh" dir="ltr">' in chinese.text
        elsewhere = await client.get("/language/fr", params={"next": "https://evil.example/"})
        assert elsewhere.headers["location"] == "/"


async def test_errors_are_pages_on_pages_and_problems_on_the_api(app: FastAPI) -> None:
    async with browser(app) as client:
        missing = await client.get("/no-such-page")
        unknown = await client.get("/recommendations/6f1c2d8e-0000-4000-8000-000000000000")
        api = await client.get("/api/v1/no-such-thing")
    for page in (missing, unknown):
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        assert "Page not found" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/problem+json"


async def test_a_stale_priority_edit_says_so_and_shows_the_current_value(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    first, _ = await signed_in_browser(app, corpus.coordinator.role)
    second, _ = await signed_in_browser(app, corpus.coordinator.role)
    path = f"/recommendations/{rec_id}"
    one, two = await first.get(path), await second.get(path)
    version = re.search(r'name="version" value="(\d+)"', one.text)
    assert version
    saved = await first.post(
        f"{path}/priority", data={"csrf_token": csrf_token(one), "version": version.group(1),
                                  "priority": "high"},
    )  # fmt: skip
    assert saved.status_code == 303
    stale = await second.post(
        f"{path}/priority", data={"csrf_token": csrf_token(two), "version": version.group(1),
                                  "priority": "low"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else changed this recommendation" in stale.text
    assert '<option value="high" selected>' in stale.text
    async with app.state.sessionmaker() as db:
        priority = (
            await db.scalars(
                select(Recommendation.priority).where(Recommendation.id == uuid.UUID(rec_id))
            )
        ).one()
    assert priority == "high"
    await first.aclose()
    await second.aclose()


async def test_the_coordinator_assigns_ticked_rows_in_one_step(app: FastAPI) -> None:
    corpus = await fill(app, count=8)
    client, _ = await signed_in_browser(app, corpus.coordinator.role)
    page = await client.get("/recommendations", params={"q": "酷刑"})
    form = {"csrf_token": csrf_token(page), "list_query": "q=%E9%85%B7%E5%88%91",
            "operation": "assign", "institution_id": str(corpus.ministry_id), "role": "support",
            "due_date": "2027-06-30", "focal_point_id": str(corpus.focal_point.id)}  # fmt: skip
    nothing = await client.post("/recommendations/bulk", data=form)
    assert nothing.status_code == 422
    assert "Tick at least one recommendation." in nothing.text
    bad_date = await client.post(
        "/recommendations/bulk", data={**form, "ids": corpus.torture_ids, "due_date": "30/06/27"}
    )
    assert bad_date.status_code == 422
    assert 'id="f-due_date-error"' in bad_date.text
    assert 'value="30/06/27"' in bad_date.text  # what was typed is kept
    assert bad_date.text.count(" checked>") >= 2  # so are the ticks
    done = await client.post("/recommendations/bulk", data={**form, "ids": corpus.torture_ids})
    assert done.status_code == 303
    assert done.headers["location"] == "/recommendations?q=%E9%85%B7%E5%88%91"
    after = await client.get(done.headers["location"])
    assert "Recommendations assigned: 2." in after.text
    async with app.state.sessionmaker() as db:
        assigned = (
            await db.scalars(
                select(Assignment.recommendation_id).where(
                    Assignment.institution_id == corpus.ministry_id
                )
            )
        ).all()
    assert {str(i) for i in assigned} == set(corpus.torture_ids)
    await client.aclose()


async def test_paging_through_the_list_follows_the_next_links_to_the_end(app: FastAPI) -> None:
    """More rows than a page holds: every page answers, and the pages hold every row once
    (the paging links once failed with a 500: a value hid the template's link helper)."""
    await fill(app, count=30)
    seen: list[str] = []
    address: str | None = "/recommendations?limit=25"
    pages = 0
    async with browser(app) as client:
        while address is not None:
            page = await client.get(address)
            assert page.status_code == 200, page.text[:300]
            pages += 1
            seen += re.findall(r'href="/recommendations/([0-9a-f-]{36})"', page.text)
            found = re.search(r'<a href="(/recommendations\?[^"]+)" rel="next"', page.text)
            address = found.group(1).replace("&amp;", "&") if found else None
            if pages > 1:
                assert "First page" in page.text
    assert pages == 2
    assert len(seen) == len(set(seen)) == 30


async def test_a_mangled_id_in_the_bulk_cluster_step_is_a_form_error(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    client, _ = await signed_in_browser(app, corpus.coordinator.role)
    api = {"Authorization": bearer(app, corpus.coordinator)["Authorization"]}
    made = await client.post("/api/v1/clusters", json={"name": "Torture"}, headers=api)
    assert made.status_code == 201, made.text
    cluster_id = made.json()["id"]
    members = await client.post(
        f"/api/v1/clusters/{cluster_id}/recommendations",
        json={"recommendation_ids": ["not-a-uuid"]},
        headers=api,
    )
    assert members.status_code == 422
    assert members.headers["content-type"] == "application/problem+json"
    page = await client.get("/recommendations")
    form = {"csrf_token": csrf_token(page), "operation": "cluster", "cluster_id": cluster_id,
            "ids": [corpus.torture_ids[0], "not-a-uuid"]}  # fmt: skip
    answer = await client.post("/recommendations/bulk", data=form)
    assert answer.status_code == 422
    assert 'id="f-ids-error"' in answer.text
    await client.aclose()


async def test_the_switcher_sets_only_the_cookie_not_the_accounts_language(app: FastAPI) -> None:
    # A cross-site GET (SameSite=Lax sends the cookie) must not write to the account: saving the
    # language is /account's POST, which carries the CSRF token.
    client, user = await signed_in_browser(app, Role.viewer)
    switched = await client.get("/language/zh", params={"next": "/recommendations"})
    await client.aclose()
    assert switched.status_code == 303
    assert "rectrack_lang=zh" in switched.headers["set-cookie"]
    async with app.state.sessionmaker() as db:
        saved = await db.get(User, user.id)
    assert saved is not None
    assert saved.language is None
