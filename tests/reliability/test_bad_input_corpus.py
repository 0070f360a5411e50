"""A corpus of bad input sent to every operation that takes a JSON body (those with an id in the
path too): each is a 4xx problem+json, nothing is written anywhere, and the service stays healthy.

Injection strings are not bad input: they are text that a State may well need to record. They
are stored and returned verbatim and cannot change a query, which is what is asserted for them.
"""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import select

from app.models.user import Role
from app.models.webhook import Webhook
from tests.accounts import make_user
from tests.conftest import DATA_TABLES
from tests.indicators.factories import measure
from tests.planning.factories import assign, institution_id, plan_action, report
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

TOO_BIG = 3 * 1024 * 1024  # over the 2 MiB body limit
BAD_BODIES: list[tuple[str, bytes, str]] = [
    ("truncated", b'{"name": "Tortu', "application/json"),
    ("invalid UTF-8", b'{"name": "\xff\xfe\xc3\x28"}', "application/json"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("nested in a field", b'{"name": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "application/json"),
    ("oversized", b'{"name": "' + b"x" * TOO_BIG + b'"}', "application/json"),
    ("empty", b"", "application/json"),
    ("null", b"null", "application/json"),
    ("a list", b"[]", "application/json"),
    ("a number", b"1e400", "application/json"),
    ("a huge integer", b'{"name": ' + b"9" * 5_000 + b"}", "application/json"),
    ("NaN", b'{"name": NaN}', "application/json"),
    ("form instead of JSON", b"name=x&description=y", "application/x-www-form-urlencoded"),
    ("XML", b"<cluster><name>x</name></cluster>", "application/xml"),
    ("plain text", b"name: x", "text/plain"),
    ("no content type", b'{"name": "x"}', ""),
]
INJECTIONS = [
    "'; DROP TABLE recommendation; --",
    '" OR 1=1 --',
    "%' OR '1'='1",
    "1; SELECT pg_sleep(10)",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "100% _done_ \\ [a-z]*",
    'NEAR(torture detention) AND OR NOT "',
    "<script>alert(1)</script>",
    "\u202eevil\u202c ‮",
]


# Every operation of the OpenAPI document whose body is JSON. A new one changes the count: add
# what its path names to _world() if need be, and the count here.
JSON_BODY_OPERATIONS = 37


async def _world(app: FastAPI, admin: AsyncClient) -> dict[str, str]:
    """One of each record a path can name, so that every path is real."""
    rec = (await create_recommendation(admin))["id"]
    institution = await institution_id(app)
    cluster = await admin.post("/clusters", json={"name": "C", "recommendation_ids": [rec]})
    indicator = await admin.post("/indicators", json={"name": "I", "recommendation_ids": [rec]})
    for made in (cluster, indicator):
        assert made.status_code == 201, made.text
    # Made directly: its URL need not resolve, the bodies sent to it are refused first.
    webhook = Webhook(
        id=uuid.uuid4(), url="https://example.org/hook", events=["action.updated"], active=True,
        secret="unreadable",
    )  # fmt: skip
    async with app.state.sessionmaker() as session, session.begin():
        session.add(webhook)
    return {
        "webhook_id": str(webhook.id),
        "recommendation_id": rec,
        "institution_id": institution,
        "user_id": str((await make_user(app, Role.viewer)).id),
        "cluster_id": cluster.json()["id"],
        "assignment_id": (await assign(admin, rec, institution))["id"],
        "action_id": (await plan_action(admin, [rec]))["id"],
        "indicator_id": indicator.json()["id"],
        "measurement_id": (await measure(admin, indicator.json(), "2020-01-01", 1)).json()["id"],
        # A draft: a body that is not refused would still have nothing to validate.
        "update_id": (await report(admin, rec, "in_progress", institution_id=institution))["id"],
    }


def _json_body_operations(app: FastAPI, world: dict[str, str]) -> list[tuple[str, str]]:
    """Every operation whose body is JSON, with the ids in its path filled in."""
    found = []
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                concrete = path.format(**world).removeprefix("/api/v1")
                found.append((method.upper(), concrete))
    return sorted(found)


async def _snapshot(app: FastAPI) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table but the reference data, to show that nothing changed at all."""
    async with app.state.sessionmaker() as session:
        return {
            table.name: sorted(
                tuple(repr(v) for v in row) for row in (await session.execute(select(table))).all()
            )
            for table in DATA_TABLES
        }


async def test_bad_bodies_are_refused_everywhere_and_write_nothing(
    app: FastAPI, admin: AsyncClient, root_client: AsyncClient
) -> None:
    world = await _world(app, admin)
    targets = _json_body_operations(app, world)
    assert len(targets) == JSON_BODY_OPERATIONS, targets
    before = await _snapshot(app)
    for method, path in targets:
        for name, body, content_type in BAD_BODIES:
            headers = {"If-Match": '"1"'}
            if content_type:
                headers["Content-Type"] = content_type
            response = await admin.request(method, path, content=body, headers=headers)
            assert 400 <= response.status_code < 500, f"{method} {path} {name}: {response.text}"
            assert_problem(response, response.status_code)
    assert await _snapshot(app) == before
    assert (await root_client.get("/readyz")).status_code == 200


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/recommendations/bulk-update", "ids", 10_000),
        ("/assignments/bulk", "recommendation_ids", 10_000),
        ("/clusters", "recommendation_ids", 10_000),
    ],
)
async def test_huge_arrays_in_bulk_operations_are_refused(
    app: FastAPI, admin: AsyncClient, path: str, field: str, limit: int
) -> None:
    ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(limit + 1)]
    body: dict[str, Any] = {
        "/recommendations/bulk-update": {"ids": ids, "priority": "high"},
        "/assignments/bulk": {
            "recommendation_ids": ids,
            "institution_id": ids[0],
            "role": "lead",
        },
        "/clusters": {"name": "Huge", "recommendation_ids": ids},
    }[path]
    before = await _snapshot(app)
    assert_problem(await admin.post(path, json=body), 422, f"body.{field}")
    # Past the body limit the size alone decides, before any parsing.
    body[field] = ids * 40
    assert_problem(await admin.post(path, json=body), 413)
    assert await _snapshot(app) == before


async def test_injection_strings_are_stored_verbatim_and_change_no_query(
    app: FastAPI, admin: AsyncClient
) -> None:
    plain = await create_recommendation(admin, text={"en": "Ratify the Convention."})
    stored = []
    for n, text in enumerate(INJECTIONS):
        made = await create_recommendation(
            admin, symbol=f"A/HRC/{n}/1 {text}"[:200], text={"en": f"Protect {text}"}
        )
        stored.append((made["id"], text))
        cluster = await admin.post("/clusters", json={"name": text, "description": text})
        assert cluster.status_code == 201, cluster.text
        assert cluster.json()["name"] == text.strip() or cluster.json()["name"] == text
    for rec_id, text in stored:
        body = (await admin.get(f"/recommendations/{rec_id}")).json()
        assert body["text"]["en"] == f"Protect {text}"
    total = (await admin.get("/recommendations", params={"include_total": "true"})).json()
    assert total["total"] == len(INJECTIONS) + 1
    for text in INJECTIONS:
        found = await admin.get("/recommendations", params={"q": text})
        assert found.status_code == 200, found.text
        ids = {r["id"] for r in found.json()["items"]}
        assert plain["id"] not in ids, text
    # LIKE's wildcards match themselves only.
    percent = await admin.get("/recommendations", params={"q": "100%"})
    assert [r["text"]["en"] for r in percent.json()["items"]] == [f"Protect {INJECTIONS[8]}"]
    assert len((await _snapshot(app))["recommendation"]) == len(INJECTIONS) + 1


async def test_injection_strings_in_every_filter_are_plain_values(admin: AsyncClient) -> None:
    await create_recommendation(admin)
    for text in INJECTIONS:
        for name in ("symbol", "uhri_id", "q", "sdg_target"):
            response = await admin.get("/recommendations", params={name: text})
            assert response.status_code in (200, 422), (name, text, response.text)
            if response.status_code == 422:
                assert_problem(response, 422, f"query.{name}")
            else:
                assert response.json()["items"] == [], (name, text)
