"""draft → submitted → validated | rejected, and who may move an update."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.conftest import ClientFactory
from tests.planning.factories import (
    assign,
    focal_point_headers,
    institution_id,
    report,
    status_of,
)
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation


async def _setup(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> tuple[dict[str, Any], str, AsyncClient]:
    rec = await create_recommendation(client)
    justice = await institution_id(app)
    await assign(client, rec["id"], justice)
    focal = await make_client(headers=await focal_point_headers(app, justice))
    return rec, justice, focal


async def test_report_submit_validate(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    rec, justice, focal = await _setup(app, client, make_client)
    evidence = ["https://parliament.example/bill/12"]
    update = await report(
        focal, rec["id"], "partially_implemented", narrative="Bill tabled", evidence=evidence
    )
    assert update["state"] == "draft"
    assert update["institution_id"] == justice
    assert_problem(await anonymous.get(f"/progress-updates/{update['id']}"), 404)
    assert (await anonymous.get("/progress-updates")).json()["items"] == []
    submitted = await focal.post(f"/progress-updates/{update['id']}/submit")
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["submitted_at"] is not None
    assert_problem(await focal.post(f"/progress-updates/{update['id']}/validate"), 403)
    assert await status_of(client, rec["id"]) == "planned"
    valid = await client.post(f"/progress-updates/{update['id']}/validate", json={"comment": "ok"})
    assert valid.status_code == 200
    assert valid.json()["state"] == "validated"
    assert valid.json()["validated_at"] is not None
    assert valid.json()["reviewed_by_id"] is not None
    assert await status_of(client, rec["id"]) == "partially_implemented"
    public = (await anonymous.get(f"/recommendations/{rec['id']}/progress-updates")).json()["items"]
    assert [u["id"] for u in public] == [update["id"]]
    edit = await focal.patch(
        f"/progress-updates/{update['id']}", json={"narrative": "x"},
        headers={"If-Match": valid.headers["etag"]},
    )  # fmt: skip
    assert_problem(edit, 409)


async def test_rejected_updates_are_edited_and_submitted_again(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec, _, focal = await _setup(app, client, make_client)
    update = await report(focal, rec["id"], "implemented")
    await focal.post(f"/progress-updates/{update['id']}/submit")
    assert_problem(await client.post(f"/progress-updates/{update['id']}/reject", json={}), 422)
    rejected = await client.post(
        f"/progress-updates/{update['id']}/reject", json={"comment": "Where is the evidence?"}
    )
    assert rejected.json()["state"] == "rejected"
    assert rejected.json()["review_comment"] == "Where is the evidence?"
    assert await status_of(client, rec["id"]) == "planned"
    edited = await focal.patch(
        f"/progress-updates/{update['id']}",
        json={"assessment": "partially_implemented", "evidence": ["https://gazette.example/1"]},
        headers={"If-Match": rejected.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    again = await focal.post(f"/progress-updates/{update['id']}/submit")
    assert again.json()["state"] == "submitted"
    await client.post(f"/progress-updates/{update['id']}/validate")
    assert await status_of(client, rec["id"]) == "partially_implemented"


async def test_illegal_moves(app: FastAPI, client: AsyncClient, make_client: ClientFactory) -> None:
    rec, _, focal = await _setup(app, client, make_client)
    draft = await report(focal, rec["id"], "in_progress")
    assert_problem(await client.post(f"/progress-updates/{draft['id']}/validate"), 409)
    assert_problem(
        await client.post(f"/progress-updates/{draft['id']}/reject", json={"comment": "no"}), 409
    )
    await focal.post(f"/progress-updates/{draft['id']}/submit")
    assert_problem(await focal.post(f"/progress-updates/{draft['id']}/submit"), 409)
    edit_submitted = await focal.patch(
        f"/progress-updates/{draft['id']}", json={"narrative": "x"}, headers={"If-Match": "*"}
    )
    assert_problem(edit_submitted, 409)
    assert_problem(await focal.post(f"/recommendations/{rec['id']}/progress-updates",
                                    json={"assessment": "done"}), 422)  # fmt: skip


async def test_focal_points_report_only_for_their_assignments(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec, _, focal = await _setup(app, client, make_client)
    interior = await institution_id(app)
    stranger = await make_client(headers=await focal_point_headers(app, interior))
    refused = await stranger.post(
        f"/recommendations/{rec['id']}/progress-updates", json={"assessment": "implemented"}
    )
    assert_problem(refused, 403)
    for_another = await focal.post(
        f"/recommendations/{rec['id']}/progress-updates",
        json={"assessment": "implemented", "institution_id": interior},
    )
    assert_problem(for_another, 403)
    update = await report(focal, rec["id"], "in_progress")
    assert_problem(await stranger.post(f"/progress-updates/{update['id']}/submit"), 403)
    viewer = await make_client(Role.viewer)
    assert_problem(
        await viewer.post(f"/recommendations/{rec['id']}/progress-updates",
                          json={"assessment": "implemented"}), 403,
    )  # fmt: skip
    # Signed-in readers see drafts; the public does not.
    seen = (await viewer.get("/progress-updates", params={"state": "draft"})).json()["items"]
    assert [u["id"] for u in seen] == [update["id"]]


SCRIPT_LINKS = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "  javascript:alert(1)",
    "javascript://https://parliament.example/%0Aalert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
]


async def test_evidence_links_that_would_run_script_are_refused(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory
) -> None:
    rec, _, focal = await _setup(app, client, make_client)
    good = "https://parliament.example/bill/12"
    update = await report(focal, rec["id"], "in_progress", evidence=[good])
    path = f"/progress-updates/{update['id']}"
    for link in SCRIPT_LINKS:
        created = await focal.post(
            f"/recommendations/{rec['id']}/progress-updates",
            json={"assessment": "in_progress", "evidence": [good, link]},
        )
        assert_problem(created, 422, "body.evidence")
        edited = await focal.patch(path, json={"evidence": [link]}, headers={"If-Match": '"1"'})
        assert_problem(edited, 422, "body.evidence")
    kept = (await focal.get(path)).json()
    assert (kept["evidence"], kept["version"]) == ([good], 1)
    listed = (await focal.get(f"/recommendations/{rec['id']}/progress-updates")).json()["items"]
    assert [u["id"] for u in listed] == [update["id"]]


async def test_the_reviewers_comment_is_internal(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory, anonymous: AsyncClient
) -> None:
    rec, _, focal = await _setup(app, client, make_client)
    update = await report(focal, rec["id"], "implemented")
    await focal.post(f"/progress-updates/{update['id']}/submit")
    comment = {"comment": "Internal: the ministry's figures look doubtful"}
    valid = await client.post(f"/progress-updates/{update['id']}/validate", json=comment)
    assert valid.json()["review_comment"] == comment["comment"]
    for path in (
        f"/recommendations/{rec['id']}/progress-updates",
        "/progress-updates",
    ):
        [seen] = (await anonymous.get(path)).json()["items"]
        assert seen["id"] == update["id"]
        assert seen["review_comment"] is None
    one = await anonymous.get(f"/progress-updates/{update['id']}")
    assert one.json()["review_comment"] is None
    assert (await focal.get(f"/progress-updates/{update['id']}")).json()["review_comment"] == (
        comment["comment"]
    )
