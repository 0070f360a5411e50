"""The workspace in real Chromium, on both databases: accessibility (axe-core), weight, 360 px,
keyboard, right-to-left, and a coordinator's bulk assignment as a person does it.

Screenshots of every page in English, Arabic and Chinese go to $RECTRACK_SCREENSHOT_DIR, or to
the folder the run prints at its end.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from app.main import create_app
from tests.accounts import PASSWORD
from tests.conftest import Template, _prepare, scratch_postgres, settings_for_test
from tests.web.browser import (
    axe_problems,
    chromium,
    full_page_screenshot,
    page_weight,
    require_browser,
    screenshots_folder,
    serving,
)
from tests.web.corpus import Corpus, fill

MAX_WEIGHT = 150 * 1024
LANGUAGES_SHOWN = ("en", "ar", "zh")


@dataclass
class Served:
    url: str
    corpus: Corpus
    shots: Path
    backend: str


@pytest.fixture(scope="module")
def browser_database(template: Template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the module's own: the served app keeps it for all its tests, while the
    other tests reset theirs (on PostgreSQL, the template's) before each."""
    if template.backend == "sqlite":
        yield template.fresh(tmp_path_factory.mktemp("browser"))
        return
    with scratch_postgres("rectrack_browser") as url:
        yield _prepare(url)


@pytest.fixture(scope="module")
def served(
    browser_database: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Served]:
    require_browser()
    workdir = tmp_path_factory.mktemp("served")
    settings = settings_for_test(browser_database, workdir).model_copy(
        update={"import_worker": False}
    )
    app = create_app(settings)

    async def prepare() -> Corpus:
        corpus = await fill(app)
        await app.state.engine.dispose()  # the server's loop opens its own connections
        return corpus

    corpus = asyncio.run(prepare())
    backend = "postgresql" if "postgresql" in browser_database else "sqlite"
    shots = screenshots_folder(tmp_path_factory.getbasetemp() / "screenshots") / backend
    shots.mkdir(parents=True, exist_ok=True)
    request.config.stash.setdefault(SCREENSHOTS, set()).add(str(shots.parent))
    with serving(app) as url:
        yield Served(url, corpus, shots, backend)
    asyncio.run(app.state.engine.dispose())


SCREENSHOTS = pytest.StashKey[set[str]]()


@pytest.fixture(scope="module")
def driver(served: Served) -> Iterator[webdriver.Chrome]:
    browser = chromium()
    browser.set_page_load_timeout(30)
    yield browser
    browser.quit()


def sign_in(driver: webdriver.Chrome, url: str, email: str) -> None:
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "f-email").send_keys(email)
    driver.find_element(By.ID, "f-password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    signed_in(driver)


def signed_in(driver: webdriver.Chrome) -> None:
    WebDriverWait(driver, 15).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, 'form[action="/logout"]')
    )


def sign_out(driver: webdriver.Chrome) -> None:
    driver.delete_all_cookies()


def _check_page(driver: webdriver.Chrome, served: Served, path: str, name: str, lang: str) -> None:
    driver.set_window_size(1280, 900)
    driver.get(served.url + path)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    weight = page_weight(driver)
    assert weight <= MAX_WEIGHT, f"{path} ({lang}) weighs {weight} bytes"
    problems = axe_problems(driver)
    assert not problems, f"{path} ({lang}): " + "; ".join(
        f"{p['id']}: {p['help']} at {[n['target'] for n in p['nodes']][:3]}" for p in problems
    )
    full_page_screenshot(driver, served.shots / f"{name}-{lang}.png")
    driver.set_window_size(360, 800)
    driver.get(served.url + path)
    scroll, inner = driver.execute_script(
        "return [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner, f"{path} ({lang}) scrolls sideways at 360 px: {scroll} > {inner}"
    full_page_screenshot(driver, served.shots / f"{name}-{lang}-360.png")


def _choose_language(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    driver.get(f"{served.url}/language/{lang}?next=/")


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_public_pages(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    sign_out(driver)
    _choose_language(driver, served, lang)
    detail = f"/recommendations/{served.corpus.detail_id}"
    pages = {
        "overview": "/",
        "list": "/recommendations",
        "search": "/recommendations?q=%E9%85%B7%E5%88%91",
        "detail": detail,
        "login": "/login",
        "not-found": "/no-such-page",
    }
    for name, path in pages.items():
        _check_page(driver, served, path, f"public-{name}", lang)


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_coordinator_pages(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    sign_out(driver)
    _choose_language(driver, served, lang)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, lang)
    pages = {
        "overview": "/",
        "list": "/recommendations?q=%E9%85%B7%E5%88%91",
        "detail": f"/recommendations/{served.corpus.detail_id}",
        "account": "/account",
    }
    for name, path in pages.items():
        _check_page(driver, served, path, f"coordinator-{name}", lang)


def test_arabic_is_laid_out_right_to_left(driver: webdriver.Chrome, served: Served) -> None:
    sign_out(driver)
    _choose_language(driver, served, "ar")
    driver.set_window_size(1280, 900)
    driver.get(f"{served.url}/recommendations")
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("dir") == "rtl"
    brand = driver.find_element(By.CSS_SELECTOR, ".brand").rect
    sign_in_link = driver.find_element(By.CSS_SELECTOR, ".who a").rect
    assert brand["x"] > sign_in_link["x"], "the brand should sit on the right in Arabic"
    _choose_language(driver, served, "en")


def test_signing_in_by_keyboard_alone(driver: webdriver.Chrome, served: Served) -> None:
    sign_out(driver)
    driver.set_window_size(1280, 900)
    driver.get(f"{served.url}/login")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = driver.switch_to.active_element
    assert skip.get_attribute("class") == "skip"
    skip.send_keys(Keys.ENTER)
    for _ in range(3):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        if driver.switch_to.active_element.get_attribute("id") == "f-email":
            break
    field = driver.switch_to.active_element
    assert field.get_attribute("id") == "f-email"
    field.send_keys(served.corpus.viewer.email, Keys.TAB)
    driver.switch_to.active_element.send_keys(PASSWORD, Keys.ENTER)
    signed_in(driver)
    outline = driver.execute_script(
        "const b = document.querySelector('.who button'); b.focus();"
        "return getComputedStyle(b).outlineStyle"
    )
    assert outline != "none", "focus must be visible"


def test_a_coordinator_assigns_search_results(driver: webdriver.Chrome, served: Served) -> None:
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, "en")  # signing in restores the account's own language
    driver.set_window_size(1280, 900)
    driver.get(f"{served.url}/recommendations?q=%E9%85%B7%E5%88%91&sort=symbol")
    driver.find_element(By.ID, "select-all").click()  # the little script's one job
    ticked = driver.find_elements(By.CSS_SELECTOR, 'input[name="ids"]:checked')
    assert len(ticked) == len(served.corpus.torture_ids)
    driver.find_element(By.ID, "op-assign").click()
    Select(driver.find_element(By.ID, "f-institution_id")).select_by_visible_text(
        "Ministry of Education"
    )
    Select(driver.find_element(By.ID, "f-role")).select_by_value("support")
    # A date field's typing order follows the browser's locale; set the ISO value it submits.
    due = driver.find_element(By.ID, "f-due_date")
    driver.execute_script("arguments[0].value = '2027-06-30'", due)
    driver.find_element(By.CSS_SELECTOR, "#bulk button[type=submit]").click()
    notice = (
        WebDriverWait(driver, 15)
        .until(lambda d: d.find_elements(By.CSS_SELECTOR, ".notice, .error-summary"))[0]
        .text
    )
    assert notice == f"Recommendations assigned: {len(ticked)}."
    assert "sort=symbol" in driver.current_url
