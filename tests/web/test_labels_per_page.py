"""Labels follow each page's language, even where a template applies them to constants (which
Jinja would otherwise compute once, when it compiles the template)."""

from fastapi import FastAPI

from app.models.user import Role
from tests.web.corpus import fill
from tests.web.pages import signed_in_browser


async def test_a_label_of_a_constant_follows_the_page_language(app: FastAPI) -> None:
    corpus = await fill(app, count=2)
    client, _ = await signed_in_browser(app, Role.coordinator)
    path = f"/recommendations/{corpus.detail_id}"
    client.cookies.set("rectrack_lang", "en")
    english = await client.get(path)
    client.cookies.set("rectrack_lang", "ar")
    arabic = await client.get(path)
    client.cookies.set("rectrack_lang", "zh")
    listed = await client.get("/recommendations")
    await client.aclose()
    assert '<option value="lead" selected>Lead</option>' in english.text
    assert '<option value="lead" selected>جهة رائدة</option>' in arabic.text
    assert '<option value="upr">Universal Periodic Review</option>' not in listed.text
