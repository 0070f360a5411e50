"""The detail page's edit forms, /my-work and /validation: what each role may post, what is
written, and what comes back when something is wrong."""

import re
import uuid

from fastapi import FastAPI
from httpx import Response
from sqlalchemy import func, select

from app.models.action import Action
from app.models.assignment import Assignment
from app.models.indicator import Indicator, Measurement
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.user import Role
from tests.accounts import make_institution
from tests.web.corpus import fill
from tests.web.pages import browser, csrf_token, signed_in_browser


def _version(page: Response, action: str) -> str:
    """The hidden version of the form posting to `action`."""
    form = page.text[page.text.index(f'action="{action}"') :]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found, f"no version in the form of {action}"
    return found.group(1)


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.sessionmaker() as db:
        return int((await db.execute(select(func.count()).select_from(model))).scalar_one())


async def _updates(app: FastAPI, rec_id: str) -> list[ProgressUpdate]:
    async with app.state.sessionmaker() as db:
        found = await db.scalars(
            select(ProgressUpdate).where(ProgressUpdate.recommendation_id == uuid.UUID(rec_id))
        )
        return list(found.all())


async def test_a_coordinator_assigns_plans_and_defines_from_the_detail_page(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.torture_ids[0]
    education = await make_institution(app, "Ministry of Health")
    client, _ = await signed_in_browser(app, Role.coordinator)
    path = f"/recommendations/{rec_id}"
    page = await client.get(path)
    assert 'action="/recommendations/' + rec_id + '/assignments"' in page.text
    token = csrf_token(page)
    # Bad input comes back next to its field, with what was typed kept.
    bad = await client.post(
        f"{path}/assignments",
        data={"csrf_token": token, "institution_id": str(education.id), "role": "support",
              "due_date": "31/12/2027"},
    )  # fmt: skip
    assert bad.status_code == 422
    assert 'id="f-assign-due_date-error"' in bad.text
    assert 'value="31/12/2027"' in bad.text
    assert '<a href="#form-assign">' in bad.text  # the alert at the top leads to the form
    assert '<details class="edit" id="form-assign" open>' in bad.text
    # The lead is taken (the corpus assigned the Ministry of Justice as lead): a conflict, named.
    taken = await client.post(
        f"{path}/assignments",
        data={"csrf_token": token, "institution_id": str(education.id), "role": "lead"},
    )
    assert taken.status_code == 409
    assert "Another institution leads this recommendation already" in taken.text
    done = await client.post(
        f"{path}/assignments",
        data={"csrf_token": token, "institution_id": str(education.id), "role": "support",
              "due_date": "2027-12-31"},
    )  # fmt: skip
    assert done.status_code == 303
    async with app.state.sessionmaker() as db:
        assignment = (
            await db.scalars(select(Assignment).where(Assignment.institution_id == education.id))
        ).one()
    assert str(assignment.due_date) == "2027-12-31"
    planned = await client.post(
        f"{path}/actions",
        data={"csrf_token": token, "title": "Train prison staff",
              "institution_id": str(education.id), "due_date": "2027-03-31"},
    )  # fmt: skip
    assert planned.status_code == 303
    no_title = await client.post(f"{path}/actions", data={"csrf_token": token, "title": " "})
    assert no_title.status_code == 422
    assert 'id="f-action-title-error"' in no_title.text
    defined = await client.post(
        f"{path}/indicators",
        data={"csrf_token": token, "name": "Staff trained", "baseline": "0", "target": "200"},
    )
    assert defined.status_code == 303
    not_a_number = await client.post(
        f"{path}/indicators", data={"csrf_token": token, "name": "X", "target": "many"}
    )
    assert not_a_number.status_code == 422
    assert 'id="f-indicator-target-error"' in not_a_number.text
    after = await client.get(path)
    assert "Train prison staff" in after.text
    assert "Staff trained" in after.text
    await client.aclose()


async def test_a_stale_assignment_edit_says_so_and_shows_the_current_values(
    app: FastAPI,
) -> None:
    corpus = await fill(app, count=4)
    path = f"/recommendations/{corpus.detail_id}"
    first, _ = await signed_in_browser(app, Role.coordinator)
    second, _ = await signed_in_browser(app, Role.coordinator)
    one, two = await first.get(path), await second.get(path)
    async with app.state.sessionmaker() as db:
        assignment = (
            await db.scalars(
                select(Assignment).where(
                    Assignment.recommendation_id == uuid.UUID(corpus.detail_id)
                )
            )
        ).one()
    action = f"/assignments/{assignment.id}"
    version = _version(one, action)
    saved = await first.post(
        action, data={"csrf_token": csrf_token(one), "version": version, "role": "lead",
                      "due_date": "2028-01-31", "focal_point_id": str(corpus.focal_point.id)},
    )  # fmt: skip
    assert saved.status_code == 303
    stale = await second.post(
        action, data={"csrf_token": csrf_token(two), "version": version, "role": "lead",
                      "due_date": "2029-05-01"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert "Someone else changed this after you opened the page" in stale.text
    assert 'value="2028-01-31"' in stale.text  # the current value, not the stale input
    async with app.state.sessionmaker() as db:
        current = await db.get(Assignment, assignment.id)
    assert current is not None
    assert str(current.due_date) == "2028-01-31"
    await first.aclose()
    await second.aclose()


async def test_a_viewer_sees_no_edit_controls_and_forged_posts_write_nothing(
    app: FastAPI,
) -> None:
    corpus = await fill(app, count=4)
    viewer, _ = await signed_in_browser(app, Role.viewer)
    path = f"/recommendations/{corpus.detail_id}"
    page = await viewer.get(path)
    assert page.status_code == 200
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>", 1)[0]
    token = csrf_token(page)  # the sign-out form's: a valid token, so the role is what refuses
    async with app.state.sessionmaker() as db:
        assignment = (await db.scalars(select(Assignment).limit(1))).one()
        action = (await db.scalars(select(Action).limit(1))).one()
        indicator = (await db.scalars(select(Indicator).limit(1))).one()
    before = {m: await _count(app, m) for m in (Assignment, Action, Indicator, Measurement,
                                                ProgressUpdate)}  # fmt: skip
    forged = {
        f"{path}/assignments": {"institution_id": str(corpus.ministry_id)},
        f"{path}/actions": {"title": "Forged"},
        f"{path}/indicators": {"name": "Forged"},
        f"{path}/progress-updates": {"assessment": "implemented", "intent": "submit"},
        f"/assignments/{assignment.id}": {"version": str(assignment.version), "role": "support"},
        f"/assignments/{assignment.id}/withdraw": {"version": str(assignment.version)},
        f"/actions/{action.id}/status": {"version": str(action.version), "status": "completed"},
        f"/indicators/{indicator.id}/measurements": {
            "recommendation_id": corpus.detail_id, "date": "2024-01-01", "value": "9"},
    }  # fmt: skip
    for url, data in forged.items():
        answer = await viewer.post(url, data={"csrf_token": token, **data})
        assert answer.status_code == 403, url
        assert answer.headers["content-type"].startswith("text/html")
    for model, count in before.items():
        assert await _count(app, model) == count, model
    async with app.state.sessionmaker() as db:
        unchanged = await db.get(Action, action.id)
    assert unchanged is not None
    assert unchanged.status == action.status
    for url in ("/validation",):
        assert (await viewer.get(url)).status_code == 403
    await viewer.aclose()


async def test_every_new_form_refuses_a_post_without_its_csrf_token(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    client, _ = await signed_in_browser(app, Role.coordinator)
    path = f"/recommendations/{corpus.detail_id}"
    before = await _count(app, Assignment), await _count(app, ProgressUpdate)
    for url, data in {
        f"{path}/assignments": {"institution_id": str(corpus.ministry_id), "role": "support"},
        f"{path}/progress-updates": {"assessment": "implemented"},
    }.items():
        refused = await client.post(url, data=data)
        assert refused.status_code == 403
        wrong = await client.post(url, data={**data, "csrf_token": "x" * 43})
        assert wrong.status_code == 403
    assert (await _count(app, Assignment), await _count(app, ProgressUpdate)) == before
    await client.aclose()


async def test_a_focal_point_reports_and_a_coordinator_rejects_then_validates(
    app: FastAPI,
) -> None:
    corpus = await fill(app, count=4)
    rec_id = corpus.detail_id
    path = f"/recommendations/{rec_id}"
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    overview = await focal.get("/")
    assert 'href="/my-work"' in overview.text.split('id="work-heading"', 1)[1]
    work = await focal.get("/my-work")
    assert work.status_code == 200
    assert f'href="/recommendations/{rec_id}"' in work.text
    assert "Draft the ratification bill" in work.text  # the institution's overdue action
    page = await focal.get(path)
    token = csrf_token(page)
    assert f'action="{path}/progress-updates"' in page.text
    missing = await focal.post(
        f"{path}/progress-updates",
        data={"csrf_token": token, "narrative": "Bill drafted.", "evidence": "not a link",
              "intent": "submit"},
    )  # fmt: skip
    assert missing.status_code == 422
    assert 'id="f-update-assessment-error"' in missing.text
    assert "This field is required." in missing.text
    assert 'id="f-update-evidence-error"' in missing.text
    assert "Bill drafted." in missing.text
    assert await _updates(app, rec_id) == []
    sent = await focal.post(
        f"{path}/progress-updates",
        data={"csrf_token": token, "assessment": "in_progress", "narrative": "Bill drafted.",
              "evidence": "https://example.org/bill\n\nhttps://example.org/hearing",
              "intent": "submit"},
    )  # fmt: skip
    assert sent.status_code == 303
    (update,) = await _updates(app, rec_id)
    assert update.state is UpdateState.submitted
    assert update.evidence == ["https://example.org/bill", "https://example.org/hearing"]

    coordinator, _ = await signed_in_browser(app, Role.coordinator)
    overview = await coordinator.get("/")
    assert re.search(r'href="/validation"><span class="count">1</span>', overview.text)
    queue = await coordinator.get("/validation")
    assert queue.status_code == 200
    assert "Bill drafted." in queue.text
    review = f"/progress-updates/{update.id}/review"
    no_comment = await coordinator.post(
        review, data={"csrf_token": csrf_token(queue), "decision": "reject"}
    )
    assert no_comment.status_code == 422
    assert f'id="f-review-{update.id}-comment-error"' in no_comment.text
    rejected = await coordinator.post(
        review, data={"csrf_token": csrf_token(queue), "decision": "reject",
                      "comment": "Add the date the bill went to parliament."},
    )  # fmt: skip
    assert rejected.status_code == 303
    assert rejected.headers["location"] == "/validation"
    again = await coordinator.post(
        review, data={"csrf_token": csrf_token(queue), "decision": "validate"}
    )
    assert again.status_code == 409  # no longer waiting
    assert "no longer waiting for validation" in again.text

    work = await focal.get("/my-work")
    assert "Add the date the bill went to parliament." in work.text
    page = await focal.get(path)
    edit = f"/progress-updates/{update.id}"
    resent = await focal.post(
        edit, data={"csrf_token": token, "version": _version(page, edit),
                    "assessment": "in_progress", "intent": "submit",
                    "narrative": "Bill drafted; sent to parliament on 3 March."},
    )  # fmt: skip
    assert resent.status_code == 303
    stale = await focal.post(
        edit, data={"csrf_token": token, "version": _version(page, edit),
                    "assessment": "implemented", "intent": "save"},
    )  # fmt: skip
    assert stale.status_code == 409
    queue = await coordinator.get("/validation")
    assert "sent to parliament on 3 March" in queue.text
    validated = await coordinator.post(
        review, data={"csrf_token": csrf_token(queue), "decision": "validate"}
    )
    assert validated.status_code == 303
    (update,) = await _updates(app, rec_id)
    assert update.state is UpdateState.validated
    assert update.narrative == "Bill drafted; sent to parliament on 3 March."
    async with browser(app) as signed_out:
        public = await signed_out.get(path)
    assert "sent to parliament on 3 March" in public.text
    await focal.aclose()
    await coordinator.aclose()


async def test_a_focal_point_of_another_institution_may_not_report_or_change_actions(
    app: FastAPI,
) -> None:
    corpus = await fill(app, count=4)
    path = f"/recommendations/{corpus.detail_id}"
    other, _ = await signed_in_browser(app, Role.focal_point)  # a ministry of its own
    page = await other.get(path)
    assert f'action="{path}/progress-updates"' not in page.text
    assert "/status" not in page.text
    async with app.state.sessionmaker() as db:
        action = (await db.scalars(select(Action).limit(1))).one()
    token = csrf_token(page)
    written = await other.post(
        f"{path}/progress-updates", data={"csrf_token": token, "assessment": "implemented"}
    )
    assert written.status_code == 403
    status = await other.post(
        f"/actions/{action.id}/status",
        data={"csrf_token": token, "version": str(action.version), "status": "completed"},
    )
    assert status.status_code == 403
    assert await _updates(app, corpus.detail_id) == []
    await other.aclose()


async def test_a_focal_point_changes_its_actions_status_on_my_work(app: FastAPI) -> None:
    corpus = await fill(app, count=4)
    focal, _ = await signed_in_browser(app, Role.focal_point, institution_id=corpus.ministry_id)
    work = await focal.get("/my-work")
    async with app.state.sessionmaker() as db:
        action = (await db.scalars(select(Action).limit(1))).one()
    url = f"/actions/{action.id}/status"
    data = {"csrf_token": csrf_token(work), "version": _version(work, url)}
    bad = await focal.post(url, data={**data, "status": "finished"})
    assert bad.status_code == 422
    assert f'id="f-status-{action.id}-status-error"' in bad.text
    done = await focal.post(url, data={**data, "status": "in_progress"})
    assert done.status_code == 303
    assert done.headers["location"] == "/my-work"
    stale = await focal.post(url, data={**data, "status": "completed"})
    assert stale.status_code == 409
    async with app.state.sessionmaker() as db:
        current = await db.get(Action, action.id)
    assert current is not None
    assert current.status == "in_progress"
    await focal.aclose()
