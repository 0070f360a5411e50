import datetime as dt

from fastapi import FastAPI
from httpx import AsyncClient

from app.models.user import Role
from tests.accounts import bearer, make_user
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.recommendations.factories import recommendation_payload


async def test_the_secret_is_shown_once_and_works_as_a_bearer(
    client: AsyncClient, anonymous: AsyncClient
) -> None:
    created = await client.post("/api-tokens", json={"name": "UNCT script", "scope": "write"})
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("rt_")
    assert len(secret) > 40
    listed = await client.get("/api-tokens")
    assert secret not in listed.text
    assert listed.json()["items"][0]["prefix"] == secret[:15]
    as_token = {"Authorization": f"Bearer {secret}"}
    written = await anonymous.post(
        "/recommendations", json=recommendation_payload(), headers=as_token
    )
    assert written.status_code == 201, written.text
    used = (await client.get("/api-tokens")).json()["items"][0]
    assert used["last_used_at"] is not None


async def test_a_read_token_reads_like_a_viewer_even_for_an_admin(
    admin: AsyncClient, anonymous: AsyncClient
) -> None:
    secret = (await admin.post("/api-tokens", json={"name": "read", "scope": "read"})).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {secret}"}
    assert (await anonymous.get("/recommendations", headers=headers)).status_code == 200
    assert (await anonymous.get("/users/me", headers=headers)).status_code == 200
    refused = await anonymous.post(
        "/recommendations", json=recommendation_payload(), headers=headers
    )
    assert_problem(refused, 403)
    assert_problem(await anonymous.get("/audit", headers=headers), 403)


async def test_tokens_cannot_mint_tokens(client: AsyncClient, anonymous: AsyncClient) -> None:
    secret = (await client.post("/api-tokens", json={"name": "w", "scope": "write"})).json()[
        "token"
    ]
    headers = {"Authorization": f"Bearer {secret}"}
    response = await anonymous.post("/api-tokens", json={"name": "x"}, headers=headers)
    assert_problem(response, 403)


async def test_revoked_and_expired_tokens_stop_working(
    client: AsyncClient, anonymous: AsyncClient
) -> None:
    created = (await client.post("/api-tokens", json={"name": "w", "scope": "write"})).json()
    headers = {"Authorization": f"Bearer {created['token']}"}
    assert (await anonymous.get("/users/me", headers=headers)).status_code == 200
    assert (await client.delete(f"/api-tokens/{created['id']}")).status_code == 204
    assert_problem(await anonymous.get("/users/me", headers=headers), 401)
    assert_problem(await anonymous.get("/recommendations", headers=headers), 401)
    listed = (await client.get("/api-tokens")).json()["items"][0]
    assert listed["revoked_at"] is not None

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).isoformat()
    assert_problem(
        await client.post("/api-tokens", json={"name": "old", "expires_at": past}),
        422,
        "body.expires_at",
    )
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()
    dated = await client.post("/api-tokens", json={"name": "dated", "expires_at": soon})
    assert dated.status_code == 201
    naive = await client.post(
        "/api-tokens", json={"name": "naive", "expires_at": "2030-01-01T00:00:00"}
    )
    assert_problem(naive, 422, "body.expires_at")


async def test_only_the_owner_or_an_admin_revokes(
    app: FastAPI, client: AsyncClient, make_client: ClientFactory, admin: AsyncClient
) -> None:
    token_id = (await client.post("/api-tokens", json={"name": "mine"})).json()["id"]
    stranger = await make_client(Role.coordinator)
    assert_problem(await stranger.delete(f"/api-tokens/{token_id}"), 404)
    assert (await admin.delete(f"/api-tokens/{token_id}")).status_code == 204


async def test_a_deactivated_owners_tokens_stop(app: FastAPI, anonymous: AsyncClient) -> None:
    owner = await make_user(app, Role.coordinator)
    owner_http = bearer(app, owner)
    secret = (
        await anonymous.post(
            "/api-tokens", json={"name": "w", "scope": "write"}, headers=owner_http
        )
    ).json()["token"]
    admin_headers = bearer(app, await make_user(app, Role.admin))
    response = await anonymous.patch(
        f"/users/{owner.id}",
        json={"active": False},
        headers={**admin_headers, "If-Match": '"1"'},
    )
    assert response.status_code == 200
    assert_problem(
        await anonymous.get("/recommendations", headers={"Authorization": f"Bearer {secret}"}), 401
    )
