import subprocess
import sys

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.config import PROJECT_ROOT
from app.models.user import Role
from tests.accounts import PASSWORD, bearer, make_institution, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem


async def test_admin_creates_an_account_that_can_sign_in(
    admin: AsyncClient, anonymous: AsyncClient
) -> None:
    response = await admin.post(
        "/users",
        json={"email": "Focal@Example.org", "name": "Focal", "password": PASSWORD,
              "role": "coordinator"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "focal@example.org"
    assert body["active"] is True
    assert "password" not in response.text
    assert "hash" not in response.text
    assert response.headers["etag"] == '"1"'
    login = await anonymous.post(
        "/auth/token", data={"username": "focal@example.org", "password": PASSWORD}
    )
    assert login.status_code == 200


@pytest.mark.parametrize(
    "password",
    [
        "short-pw",
        "password1234",
        "123456789012",
        "qwertyuiopasdf",
        "aaaaaaaaaaaa",
        "focal@example.org1",
    ],
)
async def test_weak_passwords_are_refused(admin: AsyncClient, password: str) -> None:
    response = await admin.post(
        "/users",
        json={"email": "focal@example.org", "name": "Focal", "password": password,
              "role": "viewer"},
    )  # fmt: skip
    assert_problem(response, 422, "body.password")
    assert password not in response.text


async def test_email_addresses_are_unique_whatever_the_case(
    app: FastAPI, admin: AsyncClient
) -> None:
    await make_user(app, Role.viewer, email="ana@example.org")
    response = await admin.post(
        "/users",
        json={"email": "ANA@example.org", "name": "Ana", "password": PASSWORD, "role": "viewer"},
    )
    assert_problem(response, 409)


async def test_a_focal_point_belongs_to_an_existing_institution(
    app: FastAPI, admin: AsyncClient
) -> None:
    base = {"email": "fp@example.org", "name": "FP", "password": PASSWORD, "role": "focal_point"}
    assert_problem(await admin.post("/users", json=base), 422, "body.institution_id")
    unknown = {**base, "institution_id": "00000000-0000-0000-0000-000000000000"}
    assert_problem(await admin.post("/users", json=unknown), 422, "body.institution_id")
    institution = await make_institution(app)
    created = await admin.post("/users", json={**base, "institution_id": str(institution.id)})
    assert created.status_code == 201
    assert created.json()["institution_id"] == str(institution.id)


async def test_admin_changes_role_and_institution_with_if_match(
    app: FastAPI, admin: AsyncClient
) -> None:
    user = await make_user(app, Role.viewer)
    institution = await make_institution(app)
    assert_problem(await admin.patch(f"/users/{user.id}", json={"role": "coordinator"}), 428)
    changed = await admin.patch(
        f"/users/{user.id}",
        json={"role": "focal_point", "institution_id": str(institution.id)},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "focal_point"
    stale = await admin.patch(
        f"/users/{user.id}", json={"role": "viewer"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    orphan = await admin.patch(
        f"/users/{user.id}", json={"institution_id": None}, headers={"If-Match": '"2"'}
    )
    assert_problem(orphan, 422, "body.institution_id")


async def test_the_last_active_admin_stays(app: FastAPI, make_client: ClientFactory) -> None:
    only = await make_user(app, Role.admin)
    http = await make_client(headers=bearer(app, only))
    demote = await http.patch(
        f"/users/{only.id}", json={"role": "viewer"}, headers={"If-Match": '"1"'}
    )
    assert_problem(demote, 409)
    deactivate = await http.patch(
        f"/users/{only.id}", json={"active": False}, headers={"If-Match": '"1"'}
    )
    assert_problem(deactivate, 409)
    await make_user(app, Role.admin)
    allowed = await http.patch(
        f"/users/{only.id}", json={"role": "viewer"}, headers={"If-Match": '"1"'}
    )
    assert allowed.status_code == 200


async def test_lists_accounts_for_coordinators(app: FastAPI, client: AsyncClient) -> None:
    institution = await make_institution(app)
    fp = await make_user(app, Role.focal_point, institution_id=institution.id)
    await make_user(app, Role.viewer)
    focal_points = (await client.get("/users", params={"role": "focal_point"})).json()["items"]
    assert [u["id"] for u in focal_points] == [str(fp.id)]
    everyone = (await client.get("/users", params={"include_total": "true"})).json()
    assert everyone["total"] == 3  # and the coordinator who asks
    one = await client.get(f"/users/{fp.id}")
    assert one.json()["institution_id"] == str(institution.id)
    assert_problem(await client.get("/users/00000000-0000-0000-0000-000000000000"), 404)


def test_create_user_command_makes_the_first_admin(empty_database_url: str) -> None:
    env = {"RECTRACK_DATABASE_URL": empty_database_url, "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "app.cli"]

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [*cli, *args], input=stdin, capture_output=True, text=True, env=env,
            cwd=PROJECT_ROOT, check=False,
        )  # fmt: skip

    assert run("db", "upgrade").returncode == 0
    weak = run("create-user", "--email", "a@example.org", "--role", "admin",
               "--password-stdin", stdin="password1234\n")  # fmt: skip
    assert weak.returncode != 0
    assert "not easy to guess" in weak.stderr
    made = run("create-user", "--email", "a@example.org", "--role", "admin",
               "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created admin a@example.org" in made.stdout
    again = run("create-user", "--email", "A@example.org", "--role", "admin",
                "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert again.returncode != 0
    assert "exists already" in again.stderr


async def test_an_archived_institution_takes_no_people(
    app: FastAPI, admin: AsyncClient, client: AsyncClient
) -> None:
    institution = await make_institution(app)
    gone = await client.delete(f"/institutions/{institution.id}", headers={"If-Match": '"1"'})
    assert gone.status_code == 204, gone.text
    new = {"email": "fp@example.org", "name": "FP", "password": PASSWORD, "role": "focal_point",
           "institution_id": str(institution.id)}  # fmt: skip
    assert_problem(await admin.post("/users", json=new), 422, "body.institution_id")
    user = await make_user(app, Role.viewer)
    moved = await admin.patch(
        f"/users/{user.id}",
        json={"role": "focal_point", "institution_id": str(institution.id)},
        headers={"If-Match": '"1"'},
    )
    assert_problem(moved, 422, "body.institution_id")
    unchanged = (await admin.get(f"/users/{user.id}")).json()
    assert (unchanged["role"], unchanged["institution_id"], unchanged["version"]) == (
        "viewer", None, 1,
    )  # fmt: skip
    listed = (await admin.get("/users")).json()["items"]
    assert "fp@example.org" not in {u["email"] for u in listed}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "this one has 5"),
        ("x" * 300, "this one has more than 256 characters"),
        ("password1234", "this is"),
    ],
)
async def test_a_refused_password_gets_one_plain_sentence(
    admin: AsyncClient, password: str, reason: str
) -> None:
    response = await admin.post(
        "/users",
        json={"email": "focal@example.org", "name": "Focal", "password": password,
              "role": "viewer"},
    )  # fmt: skip
    body = assert_problem(response, 422, "body.password")
    errors = body["errors"]
    assert isinstance(errors, list)
    [error] = errors
    rule = "A password needs at least 12 characters, and not easy to guess: "
    assert error["message"].startswith(rule + reason), error
    assert error["message"].endswith(".")
    assert error["code"] == "weak_password"
    assert "items" not in response.text
