"""The coordinators' and admins' pages in real Chromium (imports, clusters, institutions, users,
tokens): axe-core, weight, 360 px, screenshots in English, Arabic and Chinese, and an import
followed live as a person does it. The fixtures are test_in_chromium's, on a server of this
module's own (conftest.py)."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.db import create_engine, create_sessionmaker
from app.imports.worker import ImportWorker
from app.models.user import Role, TokenScope
from tests.accounts import make_api_token, make_user
from tests.imports.uhri_files import english, write_json
from tests.web.test_in_chromium import (
    LANGUAGES_SHOWN,
    Served,
    _check_page,
    _check_shown,
    _choose_language,
    _submit,
    sign_in,
    sign_out,
)

T = TypeVar("T")


def _in_database(served: Served, work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work(app)` on this thread's loop with an engine of its own (the served app's engine
    belongs to the server's loop); `app` has the served app's settings and a sessionmaker."""

    async def run() -> T:
        engine = create_engine(served.app.state.settings)
        state = SimpleNamespace(
            settings=served.app.state.settings, sessionmaker=create_sessionmaker(engine)
        )
        try:
            return await work(SimpleNamespace(state=state))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _run_queued_imports(served: Served) -> None:
    """What the server's import worker does (the test server runs without it)."""
    ran = _in_database(served, lambda app: ImportWorker(app.state.sessionmaker).run_pending())
    assert ran == 1


def _as_coordinator(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, lang)


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_an_import_is_uploaded_and_followed_live(
    driver: webdriver.Chrome, served: Served, lang: str, tmp_path: Path
) -> None:
    _as_coordinator(driver, served, lang)
    _check_page(driver, served, "/imports", "imports", lang)
    export = write_json(tmp_path / "export-full-en.json", english())
    driver.find_element(By.ID, "f-file").send_keys(str(export))
    driver.find_element(By.CSS_SELECTOR, 'form[action="/imports"] button[type=submit]').click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "progress"))
    assert "/imports/" in driver.current_url
    _check_shown(driver, served, "import-queued", lang)
    _run_queued_imports(served)
    # The page's script follows the job and reloads the page once it has finished. Read the
    # state in one script call: an element found before the reload and read after it is gone.
    WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "const p = document.getElementById('progress');"
            "return document.readyState === 'complete' && p !== null && !p.dataset.poll;"
        )
    )
    assert driver.find_element(By.CSS_SELECTOR, "#progress .job").get_attribute("class") == (
        "job job-succeeded"
    )
    _check_shown(driver, served, "import-job", lang)
    # A file that is not an export comes back with the problem next to its field.
    driver.get(f"{served.url}/imports")
    notes = tmp_path / "notes.txt"
    notes.write_text(json.dumps({"not": "an export"}))
    driver.find_element(By.ID, "f-file").send_keys(str(notes))
    driver.find_element(By.CSS_SELECTOR, 'form[action="/imports"] button[type=submit]').click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "f-file-error"))
    _check_shown(driver, served, "imports-refused", lang)


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_clusters_and_institutions(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    _as_coordinator(driver, served, lang)
    _check_page(driver, served, "/clusters", "clusters", lang)
    _submit(driver, 'form[action="/clusters"]', name=f"Torture law ({lang})")
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".notice"))
    assert "/clusters/" in driver.current_url
    _check_shown(driver, served, "cluster", lang)
    _check_page(driver, served, "/institutions", "institutions", lang)
    ministry = f"/institutions/{served.corpus.ministry_id}"
    _check_page(driver, served, ministry, "institution", lang)
    assert served.corpus.focal_point.email in driver.page_source
    # The State's near-duplicates: the corpus repeats its torture recommendation.
    _check_page(driver, served, "/duplicates?country=KEN", "duplicates", lang)
    assert driver.find_elements(By.CSS_SELECTOR, 'form[action="/duplicates/group"]'), (
        "a group to put into a cluster"
    )


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_accounts_and_tokens(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    admin = _in_database(served, lambda app: make_user(app, Role.admin))
    _in_database(served, lambda app: make_api_token(app, served.corpus.viewer, TokenScope.read))
    sign_out(driver)
    sign_in(driver, served.url, admin.email)
    _choose_language(driver, served, lang)
    _check_page(driver, served, "/admin/users", "accounts", lang)
    _submit(
        driver, 'form[action="/admin/users"][method="post"]',
        email=f"new-{lang}@example.org", name=f"Nouvelle personne ({lang})",
    )  # fmt: skip
    link = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "reset-link"))
    assert "/reset-password?token=" in (link[0].get_attribute("value") or "")
    _check_shown(driver, served, "account-created", lang)
    _check_page(driver, served, f"/admin/users/{served.corpus.focal_point.id}", "account", lang)
    _check_page(driver, served, "/admin/tokens", "tokens", lang)
