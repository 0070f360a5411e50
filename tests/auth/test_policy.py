"""The access policy of DESIGN §6 and §8, written out by hand and tried on the running app.

tests/auth/test_permission_matrix.py checks the code against docs/permissions.md, which is
generated from the same code: a wrong rule there would be documented and tested as right. This
table is the policy itself (who may validate, who manages accounts and tokens, what the public
sees, what a focal point may touch), independent of app/auth/matrix.py and of that document.

The world: recommendation r1 is led by institution A, r2 by institution B; the focal point
belongs to A. Each rule gets fresh objects, so that one rule's success cannot change another's.
"""

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role, TokenScope, User
from tests.accounts import PASSWORD, bearer, make_api_token, make_institution, make_user
from tests.conftest import ClientFactory
from tests.planning.factories import assign, plan_action, report
from tests.recommendations.factories import create_recommendation, recommendation_payload

OK, SIGN_IN, DENIED, HIDDEN = "2xx", "401", "403", "404"


@dataclass(frozen=True)
class Rule:
    caller: str
    method: str
    path: str
    expect: str
    body: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return f"{self.caller}: {self.method} {self.path} -> {self.expect}"


def _new_user() -> dict[str, Any]:
    return {"email": f"new-{uuid.uuid4().hex[:8]}@example.org", "name": "New person",
            "password": PASSWORD, "role": "admin"}  # fmt: skip


_REPORT = {"assessment": "in_progress", "narrative": "Bill drafted."}
_MEASUREMENT = {"date": "2025-01-01", "value": 3}
_TOKEN = {"name": "integration", "scope": "write"}
_PASSWORD_CHANGE = {"current_password": PASSWORD, "new_password": "an0ther-Long-passphrase-9"}

VALIDATION = [
    Rule("coordinator", "POST", "/progress-updates/{submitted}/validate", OK),
    Rule("admin", "POST", "/progress-updates/{submitted}/validate", OK),
    Rule("coordinator's write token", "POST", "/progress-updates/{submitted}/validate", OK),
    Rule("coordinator", "POST", "/progress-updates/{submitted}/reject", OK, {"comment": "Why?"}),
    # A focal point submits, never validates, not even its own institution's update.
    Rule("focal point", "POST", "/progress-updates/{draft}/submit", OK),
    Rule("focal point", "POST", "/progress-updates/{submitted}/validate", DENIED),
    Rule("focal point", "POST", "/progress-updates/{submitted}/reject", DENIED, {"comment": "No"}),
    Rule("viewer", "POST", "/progress-updates/{submitted}/validate", DENIED),
    Rule("read token", "POST", "/progress-updates/{submitted}/validate", DENIED),
    Rule("anonymous", "POST", "/progress-updates/{submitted}/validate", SIGN_IN),
]
ACCOUNTS = [
    Rule("admin", "POST", "/users", OK, _new_user()),
    Rule("admin", "PATCH", "/users/{user}", OK, {"role": "coordinator"}),
    Rule("coordinator", "POST", "/users", DENIED, _new_user()),
    Rule("coordinator", "PATCH", "/users/{user}", DENIED, {"role": "admin"}),
    Rule("focal point", "POST", "/users", DENIED, _new_user()),
    Rule("viewer", "PATCH", "/users/{user}", DENIED, {"active": False}),
    Rule("read token", "POST", "/users", DENIED, _new_user()),
    Rule("anonymous", "POST", "/users", SIGN_IN, _new_user()),
    # Each signed-in person keeps their own API tokens; a token never makes or revokes one.
    Rule("viewer", "POST", "/api-tokens", OK, _TOKEN),
    Rule("focal point", "POST", "/api-tokens", OK, _TOKEN),
    Rule("viewer", "DELETE", "/api-tokens/{own_token}", OK),
    Rule("admin's write token", "POST", "/api-tokens", DENIED, _TOKEN),
    Rule("admin's write token", "DELETE", "/api-tokens/{own_token}", DENIED),
    Rule("admin's write token", "POST", "/users/me/password", DENIED, _PASSWORD_CHANGE),
    Rule("anonymous", "POST", "/api-tokens", SIGN_IN, _TOKEN),
    # Everyone signed in chooses their own notifications (DESIGN §11).
    Rule("viewer", "PATCH", "/users/me/notifications", OK, {"digest": "weekly"}),
    Rule("focal point", "PATCH", "/users/me/notifications", OK, {"email": False}),
    Rule("anonymous", "PATCH", "/users/me/notifications", SIGN_IN, {"digest": "off"}),
]
# API tokens never manage accounts (DESIGN §6): not even an admin's write token.
TOKENS_MANAGING_ACCOUNTS = [
    Rule("admin's write token", "POST", "/users", DENIED, _new_user()),
    Rule("admin's write token", "PATCH", "/users/{user}", DENIED, {"role": "admin"}),
]
# What the public reads, and what it must sign in for (DESIGN §6 and §8).
PUBLIC_READS = (
    "/recommendations", "/recommendations/{r1}", "/recommendations/{r1}/progress-updates",
    "/sdgs", "/sdgs/16", "/sdg-targets", "/mechanisms", "/themes", "/affected-persons",
    "/countries", "/progress/sdgs", "/progress/sdgs.svg", "/progress/timeline",
    "/progress-updates/{validated}",
)  # fmt: skip
SIGNED_IN_READS = (
    "/users", "/users/{user}", "/users/me", "/users/me/notifications", "/api-tokens", "/audit",
    "/recommendations/{r1}/history", "/imports",
)  # fmt: skip
PUBLIC = [
    *(Rule("anonymous", "GET", path, OK) for path in PUBLIC_READS),
    # Drafts and unvalidated updates do not exist for the public.
    Rule("anonymous", "GET", "/progress-updates/{draft}", HIDDEN),
    Rule("anonymous", "GET", "/progress-updates/{submitted}", HIDDEN),
    *(Rule("anonymous", "GET", path, SIGN_IN) for path in SIGNED_IN_READS),
    Rule("viewer", "GET", "/recommendations/{r1}/history", OK),
    Rule("read token", "GET", "/recommendations/{r1}/history", OK),
    Rule("viewer", "GET", "/audit", DENIED),
    Rule("coordinator", "GET", "/audit", OK),
    Rule("admin", "GET", "/audit", OK),
]
FOCAL_POINT = [
    Rule("focal point", "POST", "/recommendations/{r1}/progress-updates", OK, _REPORT),
    Rule("focal point", "PATCH", "/progress-updates/{draft}", OK, {"narrative": "Passed."}),
    Rule("focal point", "PATCH", "/actions/{action_a}", OK, {"status": "in_progress"}),
    Rule("focal point", "POST", "/indicators/{indicator_r1}/measurements", OK, _MEASUREMENT),
    Rule("focal point", "POST", "/recommendations/{r2}/progress-updates", DENIED, _REPORT),
    Rule("focal point", "PATCH", "/actions/{action_a}", DENIED, {"title": "Renamed"}),
    Rule("focal point", "PATCH", "/actions/{action_b}", DENIED, {"status": "completed"}),
    Rule("focal point", "POST", "/indicators/{indicator_r2}/measurements", DENIED, _MEASUREMENT),
    Rule("focal point", "POST", "/recommendations", DENIED, recommendation_payload()),
    Rule("focal point", "PATCH", "/recommendations/{r1}", DENIED, {"priority": "high"}),
    Rule("focal point", "POST", "/actions", DENIED, {"title": "Mine", "recommendation_ids": []}),
    Rule("focal point", "POST", "/indicators", DENIED, {"name": "Mine"}),
    Rule("focal point", "GET", "/imports", DENIED),
    Rule("focal point", "GET", "/audit", DENIED),
    Rule("viewer", "POST", "/recommendations/{r1}/progress-updates", DENIED, _REPORT),
    Rule("read token", "POST", "/recommendations", DENIED, recommendation_payload()),
    Rule("coordinator's write token", "POST", "/recommendations", OK, recommendation_payload()),
]
# DESIGN §6: an action's status belongs to its responsible institution, and a measurement needs
# every linked recommendation assigned to the focal point's institution.
FOCAL_POINT_ELSEWHERE = [
    Rule("focal point", "PATCH", "/actions/{action_b_on_r1}", DENIED, {"status": "completed"}),
    Rule("focal point", "POST", "/indicators/{indicator_r1_r2}/measurements", DENIED,
         _MEASUREMENT),
]  # fmt: skip


@dataclass
class World:
    app: FastAPI
    admin: AsyncClient
    institution_a: str = ""
    institution_b: str = ""
    caller_user: User | None = None
    made: dict[str, str] = field(default_factory=dict)

    async def build(self) -> None:
        self.institution_a = str((await make_institution(self.app)).id)
        self.institution_b = str((await make_institution(self.app)).id)

    async def caller(self, name: str) -> dict[str, str]:
        """Headers for the caller; the person behind them is kept for the rules on one's own."""
        roles = {"viewer": Role.viewer, "coordinator": Role.coordinator, "admin": Role.admin}
        if name == "anonymous":
            return {}
        if name == "focal point":
            self.caller_user = await make_user(
                self.app, Role.focal_point, institution_id=uuid.UUID(self.institution_a)
            )
            return bearer(self.app, self.caller_user)
        if name in roles:
            self.caller_user = await make_user(self.app, roles[name])
            return bearer(self.app, self.caller_user)
        owner_role, scope = {
            "read token": (Role.admin, TokenScope.read),
            "admin's write token": (Role.admin, TokenScope.write),
            "coordinator's write token": (Role.coordinator, TokenScope.write),
        }[name]
        self.caller_user = await make_user(self.app, owner_role)
        _, secret = await make_api_token(self.app, self.caller_user, scope)
        return {"Authorization": f"Bearer {secret}"}

    async def path(self, template: str) -> str:
        names = [part.split("}")[0] for part in template.split("{")[1:]]
        values = {name: await self._make(name) for name in names}
        return template.format(**values)

    async def _make(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = await self._factories()[name]()
        return self.made[name]

    def _factories(self) -> dict[str, Callable[[], Awaitable[str]]]:
        return {
            "r1": lambda: self._recommendation_led_by(self.institution_a),
            "r2": lambda: self._recommendation_led_by(self.institution_b),
            "draft": lambda: self._update("draft"),
            "submitted": lambda: self._update("submitted"),
            "validated": lambda: self._update("validated"),
            "action_a": lambda: self._action(self.institution_a, "r1"),
            "action_b": lambda: self._action(self.institution_b, "r2"),
            "action_b_on_r1": lambda: self._action(self.institution_b, "r1"),
            "indicator_r1": lambda: self._indicator("r1"),
            "indicator_r2": lambda: self._indicator("r2"),
            "indicator_r1_r2": lambda: self._indicator("r1", "r2"),
            "user": self._user,
            "own_token": self._own_token,
        }

    async def _recommendation_led_by(self, institution: str) -> str:
        rec = await create_recommendation(self.admin)
        await assign(self.admin, rec["id"], institution, "lead")
        return str(rec["id"])

    async def _update(self, state: str) -> str:
        r1 = await self._make("r1")
        update = await report(self.admin, r1, "in_progress", institution_id=self.institution_a)
        moves = {"draft": [], "submitted": ["submit"], "validated": ["submit", "validate"]}
        for move in moves[state]:
            moved = await self.admin.post(f"/progress-updates/{update['id']}/{move}")
            assert moved.status_code == 200, moved.text
        return str(update["id"])

    async def _action(self, institution: str, *recs: str) -> str:
        ids = [await self._make(r) for r in recs]
        return str((await plan_action(self.admin, ids, institution_id=institution))["id"])

    async def _indicator(self, *recs: str) -> str:
        ids = [await self._make(r) for r in recs]
        made = await self.admin.post("/indicators", json={"name": "I", "recommendation_ids": ids})
        assert made.status_code == 201, made.text
        return str(made.json()["id"])

    async def _user(self) -> str:
        return str((await make_user(self.app, Role.viewer)).id)

    async def _own_token(self) -> str:
        owner = self.caller_user or await make_user(self.app, Role.viewer)
        token_id, _ = await make_api_token(self.app, owner, TokenScope.read)
        return str(token_id)


async def _mismatch(
    app: FastAPI, admin: AsyncClient, make_client: ClientFactory, rule: Rule
) -> str | None:
    world = World(app, admin)
    await world.build()
    http = await make_client(headers=await world.caller(rule.caller))
    path = await world.path(rule.path)
    response = await http.request(rule.method, path, json=rule.body, headers={"If-Match": "*"})
    got = response.status_code
    if (200 <= got < 300) if rule.expect == OK else got == int(rule.expect):
        return None
    return f"{rule.name}: got {got} {response.text[:200]}"


def _groups(**groups: tuple[list[Rule], str | None]) -> list[Any]:
    """One test per group of rules (the app is built once for all of them); a group that
    today's code breaks is an expected failure, with the issue that fixes it."""
    return [
        pytest.param(rules, id=name,
                     marks=[pytest.mark.xfail(strict=True, reason=reason)] if reason else [])
        for name, (rules, reason) in groups.items()
    ]  # fmt: skip


@pytest.mark.parametrize(
    "rules",
    _groups(
        validation=(VALIDATION, None),
        accounts_and_tokens=(ACCOUNTS, None),
        tokens_managing_accounts=(TOKENS_MANAGING_ACCOUNTS, None),
        public=(PUBLIC, None),
        focal_point=(FOCAL_POINT, None),
        focal_point_elsewhere=(FOCAL_POINT_ELSEWHERE, None),
    ),
)
async def test_the_policy(
    app: FastAPI, admin: AsyncClient, make_client: ClientFactory, rules: list[Rule]
) -> None:
    mismatches = [m for rule in rules if (m := await _mismatch(app, admin, make_client, rule))]
    assert not mismatches, "\n".join(mismatches)


async def test_the_public_never_sees_who_did_what(app: FastAPI, admin: AsyncClient,
                                                  anonymous: AsyncClient) -> None:  # fmt: skip
    """DESIGN §6: the public never sees users, not even their ids."""
    world = World(app, admin)
    await world.build()
    validated = await world.path("{validated}")
    indicator = await world.path("{indicator_r1}")
    focal = await make_user(app, Role.focal_point, institution_id=uuid.UUID(world.institution_a))
    rec = await create_recommendation(admin)
    await assign(admin, rec["id"], world.institution_a, focal_point_id=str(focal.id))
    measured = await admin.post(f"/indicators/{indicator}/measurements", json=_MEASUREMENT)
    assert measured.status_code == 201, measured.text
    update = (await anonymous.get(f"/progress-updates/{validated}")).json()
    assert (update["author_id"], update["reviewed_by_id"]) == (None, None)
    assignments = await anonymous.get(f"/recommendations/{rec['id']}/assignments")
    assert [a["focal_point_id"] for a in assignments.json()["items"]] == [None]
    measurements = (await anonymous.get(f"/indicators/{indicator}/measurements")).json()["items"]
    assert [m["created_by_id"] for m in measurements] == [None]
