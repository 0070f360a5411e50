"""Assertions on problem+json error responses."""

from httpx import Response


def assert_problem(response: Response, status: int, field: str | None = None) -> dict[str, object]:
    """The response is an RFC 9457 problem with `status`; with `field`, one error names it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:rectrack:problem:")
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in response.text
    if field is not None:
        fields = [e["field"] for e in body.get("errors", [])]
        assert any(f == field or f.startswith(field + ".") for f in fields), fields
    return dict(body)
