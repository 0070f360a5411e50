"""A body of the wrong kind is told what to send, not pydantic's words about what it parsed."""

import json

from httpx import AsyncClient

from tests.problems import assert_problem


async def test_json_sent_to_the_sign_in_form_is_told_to_send_the_form(
    anonymous: AsyncClient,
) -> None:
    sent = {"username": "someone@example.org", "password": "correct-horse-battery-staple-42"}
    body = assert_problem(await anonymous.post("/auth/token", json=sent), 422, "body")
    detail = str(body["detail"])
    assert "OAuth2" in detail
    assert "application/x-www-form-urlencoded" in detail
    assert "username=…&password=…" in detail
    assert "Field required" not in json.dumps(body)
    without_type = await anonymous.post("/auth/token", content=b"")
    assert "application/x-www-form-urlencoded" in str(assert_problem(without_type, 422)["detail"])


async def test_a_json_body_sent_as_a_form_is_told_the_content_type(client: AsyncClient) -> None:
    body_text = json.dumps({"name": "Ministry", "kind": "ministry"})
    for content_type in ("application/x-www-form-urlencoded", "text/plain", None):
        headers = {"Content-Type": content_type} if content_type else {}
        response = await client.post("/institutions", content=body_text, headers=headers)
        body = assert_problem(response, 422, "body")
        assert "send `Content-Type: application/json`" in str(body["detail"])
        assert "valid dictionary" not in response.text


async def test_real_mistakes_in_json_keep_their_field_errors(client: AsyncClient) -> None:
    assert_problem(await client.post("/institutions", json={"kind": "ministry"}), 422, "body.name")
    assert_problem(await client.post("/institutions", json={"name": 5}), 422, "body.name")
