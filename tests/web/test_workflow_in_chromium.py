"""The issue's scenario in real Chromium, as people do it: a coordinator finds and assigns, the
focal point reports, the coordinator rejects, the focal point corrects, the coordinator
validates, and the public overview shows it. Then the new pages in English, Arabic and Chinese
(axe-core, weight, 360 px, screenshots), with every form unfolded.

The recommendations come from the corpus (written through the API): /imports is another page's.
"""

import asyncio
from dataclasses import dataclass

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from app.models.user import Role, User
from tests.accounts import bearer, make_institution, make_user
from tests.web.test_in_chromium import (
    LANGUAGES_SHOWN,
    Served,
    _check_shown,
    _choose_language,
    browser_database,
    driver,
    served,
    sign_in,
    sign_out,
)

__all__ = ["browser_database", "driver", "served"]  # the fixtures, for this module's own app
NARRATIVE = "The bill was drafted with the national human rights institution."
CORRECTED = NARRATIVE + " It went to parliament on 3 March."


@dataclass
class People:
    focal_point: User
    institution: str


@pytest.fixture(scope="module")
def people(served: Served) -> People:
    async def make() -> People:
        health = await make_institution(served.app, "Ministry of Health")
        person = await make_user(
            served.app, Role.focal_point, email="health@example.org", institution_id=health.id
        )
        await served.app.state.engine.dispose()
        return People(person, health.name)

    return asyncio.run(make())


def _wait_for(driver: webdriver.Chrome, css: str) -> str:
    found = WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, css))
    return str(found[0].text)


def _notice(driver: webdriver.Chrome) -> str:
    return _wait_for(driver, ".notice, .error-summary")


def _implemented(driver: webdriver.Chrome, served: Served) -> int:
    driver.get(f"{served.url}/")
    count = driver.find_element(By.CSS_SELECTOR, ".status-implemented .count").text
    return int(count.replace(",", ""))


def _submitted_update(served: Served, rec_id: str, narrative: str) -> None:
    """A focal point's update waiting for validation, sent through the served API."""
    headers = bearer(served.app, served.corpus.focal_point)
    with httpx.Client(base_url=f"{served.url}/api/v1", headers=headers) as api:
        made = api.post(f"/recommendations/{rec_id}/progress-updates",
                        json={"assessment": "in_progress", "narrative": narrative,
                              "evidence": ["https://example.org/report"]})  # fmt: skip
        assert made.status_code == 201, made.text
        api.post(f"/progress-updates/{made.json()['id']}/submit").raise_for_status()


def _unfold(driver: webdriver.Chrome) -> None:
    """Open every folded form, so that axe-core and the screenshots see them."""
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")


def _write_update(driver: webdriver.Chrome, form: str, assessment: str, narrative: str) -> None:
    Select(driver.find_element(By.CSS_SELECTOR, f'{form} [name="assessment"]')).select_by_value(
        assessment
    )
    box = driver.find_element(By.CSS_SELECTOR, f'{form} [name="narrative"]')
    box.clear()
    box.send_keys(narrative)
    driver.find_element(By.CSS_SELECTOR, f'{form} button[value="submit"]').click()


def test_the_issues_scenario(driver: webdriver.Chrome, served: Served, people: People) -> None:
    sign_out(driver)
    driver.set_window_size(1280, 900)
    before = _implemented(driver, served)
    # The coordinator searches 酷刑 in Kenya and ticks three.
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, "en")
    driver.get(f"{served.url}/recommendations")
    driver.find_element(By.ID, "f-q").send_keys("酷刑")
    driver.find_element(By.CSS_SELECTOR, "details.filters summary").click()
    Select(driver.find_element(By.ID, "f-country")).select_by_value("KEN")
    driver.find_element(By.CSS_SELECTOR, "form.search button[type=submit]").click()
    WebDriverWait(driver, 15).until(lambda d: "country=KEN" in d.current_url)
    boxes = driver.find_elements(By.CSS_SELECTOR, 'input[name="ids"]')
    assert len(boxes) == len(served.corpus.torture_ids) >= 3
    chosen = [box.get_attribute("value") for box in boxes[:3]]
    for box in boxes[:3]:
        box.click()
    driver.find_element(By.ID, "op-assign").click()
    Select(driver.find_element(By.ID, "f-institution_id")).select_by_visible_text(
        people.institution
    )
    Select(driver.find_element(By.ID, "f-role")).select_by_value("support")
    Select(driver.find_element(By.ID, "f-focal_point_id")).select_by_value(
        str(people.focal_point.id)
    )
    driver.execute_script(
        "arguments[0].value = '2027-06-30'", driver.find_element(By.ID, "f-due_date")
    )
    driver.find_element(By.CSS_SELECTOR, "#bulk button[type=submit]").click()
    assert _notice(driver) == "Recommendations assigned: 3."

    # The focal point finds them in /my-work, writes and submits an update on the first.
    sign_out(driver)
    sign_in(driver, served.url, people.focal_point.email)
    _choose_language(driver, served, "en")
    driver.get(f"{served.url}/my-work")
    for rec_id in chosen:
        assert driver.find_elements(By.CSS_SELECTOR, f'a[href="/recommendations/{rec_id}"]')
    driver.find_element(By.CSS_SELECTOR, f'a[href="/recommendations/{chosen[0]}"]').click()
    driver.find_element(By.XPATH, "//summary[normalize-space()='Report progress']").click()
    form = f'form[action="/recommendations/{chosen[0]}/progress-updates"]'
    _write_update(driver, form, "implemented", NARRATIVE)
    assert _notice(driver) == "The progress update is submitted for validation."

    # The coordinator rejects it with a comment.
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, "en")
    driver.get(f"{served.url}/validation")
    assert NARRATIVE in driver.find_element(By.TAG_NAME, "main").text
    driver.find_element(By.CSS_SELECTOR, ".review-form textarea").send_keys(
        "Say when the bill went to parliament."
    )
    driver.find_element(By.CSS_SELECTOR, '.review-form button[value="reject"]').click()
    assert _notice(driver) == "The progress update is sent back to its author."

    # The focal point sees the comment, corrects and submits again.
    sign_out(driver)
    sign_in(driver, served.url, people.focal_point.email)
    _choose_language(driver, served, "en")
    driver.get(f"{served.url}/my-work")
    assert "Say when the bill went to parliament." in driver.find_element(By.TAG_NAME, "main").text
    driver.find_element(By.CSS_SELECTOR, f'a[href^="/recommendations/{chosen[0]}#update-"]').click()
    _write_update(driver, 'form[action^="/progress-updates/"]', "implemented", CORRECTED)
    assert _notice(driver) == "The progress update is submitted for validation."

    # The coordinator validates it; the signed-out overview counts one more implemented.
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, "en")
    driver.get(f"{served.url}/validation")
    assert CORRECTED in driver.find_element(By.TAG_NAME, "main").text
    driver.find_element(By.CSS_SELECTOR, '.review-form button[value="validate"]').click()
    assert _notice(driver) == "The progress update is validated."
    sign_out(driver)
    assert _implemented(driver, served) == before + 1
    driver.get(f"{served.url}/recommendations/{chosen[0]}")
    assert CORRECTED in driver.find_element(By.TAG_NAME, "main").text


@pytest.mark.parametrize("lang", LANGUAGES_SHOWN)
def test_the_work_pages(
    driver: webdriver.Chrome, served: Served, people: People, lang: str
) -> None:
    """Each new page, with its forms unfolded, and a form sent back with problems."""
    detail = f"/recommendations/{served.corpus.detail_id}"
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.focal_point.email)
    _choose_language(driver, served, lang)
    driver.set_window_size(1280, 900)
    for name, path in {"my-work": "/my-work", "detail": detail}.items():
        driver.get(served.url + path)
        _unfold(driver)
        _check_shown(driver, served, f"focal-point-{name}", lang)
    # A progress update without an assessment comes back with the problem next to it.
    driver.get(served.url + detail)
    _unfold(driver)
    form = f'form[action="{detail}/progress-updates"]'
    driver.find_element(By.CSS_SELECTOR, f'{form} [name="narrative"]').send_keys("…")
    driver.execute_script(
        "arguments[0].noValidate = true", driver.find_element(By.CSS_SELECTOR, form)
    )
    driver.find_element(By.CSS_SELECTOR, f'{form} button[value="save"]').click()
    _wait_for(driver, "#f-update-assessment-error")
    _check_shown(driver, served, "focal-point-update-problem", lang)

    _submitted_update(served, served.corpus.detail_id, f"Inspections began ({lang}).")
    sign_out(driver)
    sign_in(driver, served.url, served.corpus.coordinator.email)
    _choose_language(driver, served, lang)
    for name, path in {
        "validation": "/validation",
        "detail-forms": detail,
        "my-work": "/my-work",
    }.items():
        driver.get(served.url + path)
        _unfold(driver)
        _check_shown(driver, served, f"coordinator-{name}", lang)
