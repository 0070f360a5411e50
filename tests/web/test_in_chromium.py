"""The workspace in real Chromium, on both databases: accessibility (axe-core), weight, 360 px,
keyboard, right-to-left, and a coordinator's bulk assignment as a person does it.

Screenshots of every page in English, Arabic and Chinese go to $RECTRACK_SCREENSHOT_DIR, or to
the folder the run prints at its end.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from app.auth.principal import Principal
from app.main import create_app
from app.models.user import Role, User
from app.password_resets import service as password_resets
from tests.accounts import PASSWORD, make_user
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
from tests.web.pages import with_second_factor

MAX_WEIGHT = 150 * 1024
LANGUAGES_SHOWN = ("en", "ar", "zh")


@dataclass
class Accounts:
    """People for the account-security pages, one of each per language shown (a code, a
    recovery code or an enrolment is used once)."""

    with_second_factor: User
    recovery_codes: list[str]
    enrolling: dict[str, User]
    must_enrol: dict[str, User]
    reset_token: str


@dataclass
class Served:
    url: str
    corpus: Corpus
    accounts: Accounts
    shots: Path
    backend: str
    app: FastAPI


async def _accounts(app: FastAPI) -> Accounts:
    person = await make_user(app, Role.focal_point, email="two-factor@example.org")
    _, codes = await with_second_factor(app, person)
    enrolling = {lang: await make_user(app, Role.viewer) for lang in LANGUAGES_SHOWN}
    must_enrol = {lang: await make_user(app, Role.coordinator) for lang in LANGUAGES_SHOWN}
    admin = await make_user(app, Role.admin)
    async with app.state.sessionmaker() as db, db.begin():
        actor = Principal(user=admin, role=Role.admin, api_token_id=None, client=None)
        _, token = await password_resets.issue(db, person, app.state.settings, actor)
    return Accounts(person, codes, enrolling, must_enrol, token)


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

    async def prepare() -> tuple[Corpus, Accounts]:
        corpus = await fill(app)
        accounts = await _accounts(app)
        await app.state.engine.dispose()  # the server's loop opens its own connections
        return corpus, accounts

    corpus, accounts = asyncio.run(prepare())
    backend = "postgresql" if "postgresql" in browser_database else "sqlite"
    shots = screenshots_folder(tmp_path_factory.getbasetemp() / "screenshots") / backend
    shots.mkdir(parents=True, exist_ok=True)
    request.config.stash.setdefault(SCREENSHOTS, set()).add(str(shots.parent))
    with serving(app) as url:
        yield Served(url, corpus, accounts, shots, backend, app)
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
    _check_shown(driver, served, name, lang)


def _check_shown(driver: webdriver.Chrome, served: Served, name: str, lang: str) -> None:
    """The page on screen (fetched, or the answer to a form): language, weight, axe, and no
    sideways scrolling at 360 px; screenshots at 1280 and 360 px."""
    where = driver.current_url.removeprefix(served.url)
    driver.set_window_size(1280, 900)
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    weight = page_weight(driver)
    assert weight <= MAX_WEIGHT, f"{where} ({lang}) weighs {weight} bytes"
    problems = axe_problems(driver)
    assert not problems, f"{where} ({lang}): " + "; ".join(
        f"{p['id']}: {p['help']} at {[n['target'] for n in p['nodes']][:3]}" for p in problems
    )
    full_page_screenshot(driver, served.shots / f"{name}-{lang}.png")
    driver.set_window_size(360, 800)
    scroll, inner = driver.execute_script(
        "return [document.scrollingElement.scrollWidth, window.innerWidth]"
    )
    assert scroll <= inner, f"{where} ({lang}) scrolls sideways at 360 px: {scroll} > {inner}"
    full_page_screenshot(driver, served.shots / f"{name}-{lang}-360.png")
    driver.set_window_size(1280, 900)


def _submit(driver: webdriver.Chrome, form: str, **fields: str) -> None:
    """Fill the fields of the form matching the CSS selector `form` and send it."""
    for name, value in fields.items():
        box = driver.find_element(By.CSS_SELECTOR, f'{form} [name="{name}"]')
        box.clear()
        box.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()


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


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_account_security_pages(driver: webdriver.Chrome, served: Served, lang: str) -> None:
    accounts, index = served.accounts, LANGUAGES_SHOWN.index(lang)
    sign_out(driver)
    _choose_language(driver, served, lang)
    # Signing in with a second factor: the code step, then the account with it on.
    driver.set_window_size(1280, 900)
    driver.get(f"{served.url}/login")
    _submit(driver, "main form", email=accounts.with_second_factor.email, password=PASSWORD)
    WebDriverWait(driver, 15).until(lambda d: "/login/code" in d.current_url)
    _check_shown(driver, served, "login-code", lang)
    _submit(driver, "main form", code=accounts.recovery_codes[index])
    signed_in(driver)
    _check_page(driver, served, "/account", "account-two-factor-on", lang)
    # A new API token, its secret shown once.
    _submit(
        driver, 'form[action="/account/tokens"]', name=f"Monthly report ({lang})",
        token_password=PASSWORD,
    )  # fmt: skip
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.ID, "token-secret"))
    _check_shown(driver, served, "token-created", lang)
    # Enrolling: the QR code and key, then the recovery codes.
    sign_out(driver)
    sign_in(driver, served.url, accounts.enrolling[lang].email)
    _choose_language(driver, served, lang)
    driver.get(f"{served.url}/account")
    _submit(driver, 'form[action="/account/two-factor/start"]', password=PASSWORD)
    key = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "code.secret"))
    _check_shown(driver, served, "two-factor-enrol", lang)
    code = pyotp.TOTP(key[0].text.replace(" ", "")).now()
    _submit(driver, 'form[action="/account/two-factor/confirm"]', code=code)
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "ol.codes"))
    _check_shown(driver, served, "two-factor-recovery-codes", lang)
    # The reset link's page, usable and not.
    sign_out(driver)
    _choose_language(driver, served, lang)
    _check_page(driver, served, f"/reset-password?token={accounts.reset_token}", "reset", lang)
    _check_page(driver, served, "/reset-password?token=used", "reset-unusable", lang)


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_a_coordinator_who_must_enrol_sees_the_enrolment(
    driver: webdriver.Chrome, served: Served, lang: str
) -> None:
    served.app.state.settings.require_2fa = True
    try:
        sign_out(driver)
        _choose_language(driver, served, lang)
        sign_in(driver, served.url, served.accounts.must_enrol[lang].email)
        _choose_language(driver, served, lang)
        driver.get(f"{served.url}/recommendations")
        assert driver.current_url == f"{served.url}/account"
        _check_shown(driver, served, "account-must-enrol", lang)
    finally:
        served.app.state.settings.require_2fa = False
