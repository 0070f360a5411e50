"""GET /actions/export and /progress-updates/export, read back and compared with the database;
the follow-up procedure's date on recommendations and its filter."""

import datetime as dt
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from app.exports import service
from app.models.action import CLOSED_ACTION_STATUSES, Action, ActionRecommendation
from app.models.institution import Institution
from app.models.progress_update import ProgressUpdate
from app.models.recommendation import Recommendation
from app.models.user import Role
from tests.conftest import ClientFactory
from tests.exports.files import assert_files_agree, read_csv, read_ndjson
from tests.planning.factories import (
    assign,
    days_from_today,
    focal_point_headers,
    institution_id,
    plan_action,
    report,
    validated,
)
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation, list_all

FORMATS = ("csv", "xlsx", "ndjson")


async def _files(http: AsyncClient, path: str, **params: Any) -> list[bytes]:
    bodies = []
    for fmt in FORMATS:
        response = await http.get(path, params={"format": fmt, **params})
        assert response.status_code == 200, response.text
        bodies.append(response.content)
    return bodies


async def expected_actions(app: FastAPI) -> list[dict[str, Any]]:
    today = dt.datetime.now(dt.UTC).date()
    async with app.state.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Action, Institution.name)
                .outerjoin(Institution, Institution.id == Action.institution_id)
                .order_by(Action.created_at, Action.id)
            )
        ).all()
        links = (
            await session.execute(
                select(ActionRecommendation.action_id, Recommendation)
                .join(Recommendation, Recommendation.id == ActionRecommendation.recommendation_id)
                .order_by(ActionRecommendation.recommendation_id)
            )
        ).all()
    expected = []
    for action, institution in rows:
        recs = [r for a, r in links if a == action.id]
        expected.append(
            {
                "id": str(action.id),
                "title": action.title,
                "description": action.description,
                "institution": institution,
                "status": action.status,
                "start_date": action.start_date,
                "due_date": action.due_date,
                "completed_at": action.completed_at,
                "overdue": action.due_date is not None
                and action.due_date < today
                and action.status not in CLOSED_ACTION_STATUSES,
                "recommendation_ids": [str(r.id) for r in recs],
                "recommendations": [
                    f"{r.symbol} {r.paragraph}" if r.paragraph else r.symbol for r in recs
                ],
                "created_at": action.created_at,
                "updated_at": action.updated_at,
            }
        )
    return expected


async def test_actions_export_matches_the_database(app: FastAPI, client: AsyncClient) -> None:
    one = await create_recommendation(client)
    two = await create_recommendation(client, paragraph=None, symbol="@A/HRC/1")
    ministry = await institution_id(app, "+Ministry")
    await plan_action(
        client, [one["id"], two["id"]], title="=Draft the bill", description="-in two steps",
        institution_id=ministry, start_date="2020-01-01", due_date=days_from_today(-3),
    )  # fmt: skip
    done = await plan_action(client, [two["id"]], title="Consult", status="completed")
    await plan_action(client, [one["id"]], title="Train judges", due_date=days_from_today(30))
    files = await _files(client, "/actions/export")
    expected = await expected_actions(app)
    assert len(expected) == 3
    assert expected[1]["completed_at"] is not None
    assert expected[0]["overdue"]
    assert not expected[2]["overdue"]
    assert_files_agree(service.ACTION_COLUMNS, expected, *files)
    _, rows = read_csv(files[0])
    assert rows[0]["title"] == "'=Draft the bill"
    assert rows[0]["institution"] == "'+Ministry"
    # The list's filters, and its refusals.
    overdue = read_ndjson((await client.get("/actions/export?format=ndjson&overdue=true")).content)
    assert [r["title"] for r in overdue] == ["=Draft the bill"]
    by_status = await client.get(
        "/actions/export", params={"format": "ndjson", "status": "completed"}
    )
    assert [r["id"] for r in read_ndjson(by_status.content)] == [done["id"]]
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(
        await client.get(f"/actions/export?institution={unknown}"), 422, "query.institution"
    )
    assert_problem(await client.get(f"/actions?cluster={unknown}"), 422, "query.cluster")
    assert_problem(await client.get("/actions/export?format=docx"), 422, "query.format")
    assert_problem(await client.get("/actions/export?lang=xx"), 422, "query.lang")


async def expected_updates(app: FastAPI, *, public: bool) -> list[dict[str, Any]]:
    async with app.state.sessionmaker() as session:
        stmt = (
            select(ProgressUpdate, Recommendation, Institution.name)
            .join(Recommendation, Recommendation.id == ProgressUpdate.recommendation_id)
            .outerjoin(Institution, Institution.id == ProgressUpdate.institution_id)
            .order_by(ProgressUpdate.created_at.desc(), ProgressUpdate.id.desc())
        )
        if public:
            stmt = stmt.where(ProgressUpdate.state == "validated")
        rows = (await session.execute(stmt)).all()

    def user(value: Any) -> str | None:
        return None if public or value is None else str(value)

    return [
        {
            "id": str(u.id),
            "recommendation_id": str(u.recommendation_id),
            "symbol": r.symbol,
            "paragraph": r.paragraph,
            "institution": institution,
            "assessment": u.assessment,
            "state": u.state,
            "narrative": u.narrative,
            "evidence": u.evidence,
            "author_id": user(u.author_id),
            "submitted_at": u.submitted_at,
            "reviewed_by_id": user(u.reviewed_by_id),
            "review_comment": u.review_comment,
            "validated_at": u.validated_at,
            "created_at": u.created_at,
            "updated_at": u.updated_at,
        }
        for u, r, institution in rows
    ]


async def test_progress_updates_export_shows_the_public_validated_ones_only(
    app: FastAPI, client: AsyncClient, anonymous: AsyncClient, make_client: ClientFactory
) -> None:
    rec = await create_recommendation(client)
    ministry = await institution_id(app, "Ministry of Health")
    await assign(client, rec["id"], ministry)
    focal = await focal_point_headers(app, ministry)
    await report(client, rec["id"], "in_progress", headers=focal, narrative="=1+1 draft")
    submitted = await report(
        client, rec["id"], "partially_implemented", headers=focal, narrative="@done",
        evidence=["https://example.org/law", "https://example.org/decree"],
    )  # fmt: skip
    assert (
        await client.post(f"/progress-updates/{submitted['id']}/submit", headers=focal)
    ).status_code == 200
    await validated(client, rec["id"], "implemented")
    files = await _files(client, "/progress-updates/export")
    signed_in = await expected_updates(app, public=False)
    assert len(signed_in) == 3
    assert all(u["author_id"] for u in signed_in)
    assert_files_agree(service.PROGRESS_UPDATE_COLUMNS, signed_in, *files)
    public_files = await _files(anonymous, "/progress-updates/export")
    public = await expected_updates(app, public=True)
    assert [u["state"] for u in public] == ["validated"]
    assert public[0]["author_id"] is None
    assert_files_agree(service.PROGRESS_UPDATE_COLUMNS, public, *public_files)
    # A viewer reads the same as a coordinator; the public asking for drafts gets none.
    viewer = await make_client(Role.viewer)
    assert (await _files(viewer, "/progress-updates/export"))[0] == files[0]
    drafts = await anonymous.get("/progress-updates/export?format=ndjson&state=draft")
    assert drafts.status_code == 200
    assert drafts.content == b""
    _, rows = read_csv(files[0])
    assert "'=1+1 draft" in [r["narrative"] for r in rows]
    assert_problem(
        await client.get(f"/progress-updates/export?recommendation={ministry}"),
        422,
        "query.recommendation",
    )
    assert_problem(await client.get("/progress-updates/export?state=final"), 422, "query.state")


async def test_follow_up_due_is_set_by_coordinators_and_filtered_on(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    due = await create_recommendation(client, paragraph="12(b)")
    other = await create_recommendation(client)
    assert due["follow_up_due"] is None
    body = {"follow_up_due": "2027-11-30"}
    for role in (Role.viewer, Role.focal_point):
        refused = await (await make_client(role)).patch(
            f"/recommendations/{due['id']}", json=body, headers={"If-Match": f'"{due["version"]}"'}
        )
        assert_problem(refused, 403)
    changed = await client.patch(
        f"/recommendations/{due['id']}", json=body, headers={"If-Match": f'"{due["version"]}"'}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["follow_up_due"] == "2027-11-30"
    history = (await client.get(f"/recommendations/{due['id']}/history")).json()["items"]
    assert history[0]["changes"]["follow_up_due"] == {"before": None, "after": "2027-11-30"}
    assert [r["id"] for r in await list_all(client, follow_up="true")] == [due["id"]]
    assert [r["id"] for r in await list_all(client, follow_up="false")] == [other["id"]]
    exported = await client.get("/recommendations/export?format=ndjson&follow_up=true")
    assert [r["paragraph"] for r in read_ndjson(exported.content)] == ["12(b)"]
    cleared = await client.patch(
        f"/recommendations/{due['id']}",
        json={"follow_up_due": None},
        headers={"If-Match": changed.headers["etag"]},
    )
    assert cleared.json()["follow_up_due"] is None
    assert await list_all(client, follow_up="true") == []
    bad = await client.patch(
        f"/recommendations/{due['id']}",
        json={"follow_up_due": "30/11/2027"},
        headers={"If-Match": cleared.headers["etag"]},
    )
    assert_problem(bad, 422, "body.follow_up_due")
