"""Uploads are refused before a byte of their body is read when the caller may not import."""

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.config import Settings
from app.models.user import Role
from tests.conftest import ClientFactory
from tests.problems import assert_problem
from tests.served import ServedApi, served, served_settings

BOUNDARY = "b0undary"
HEAD = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="e.json"\r\n'
    "Content-Type: application/json\r\n\r\n"
).encode()
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


class WatchedBody:
    """A request body that notes whether the server asked for any of it."""

    def __init__(self) -> None:
        self.read = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        self.read = True
        yield HEAD + b"[]\r\n" + f"--{BOUNDARY}--\r\n".encode()


@pytest.mark.parametrize(
    ("caller", "status"),
    [(None, 401), ("garbage", 401), (Role.viewer, 403), (Role.focal_point, 403)],
)
async def test_refused_callers_are_answered_before_the_body_is_read(
    app: FastAPI,
    make_client: ClientFactory,
    import_dir: Path,
    caller: Role | str | None,
    status: int,
) -> None:
    if caller == "garbage":
        http = await make_client(headers={"Authorization": "Bearer not-a-token"})
    else:
        http = await make_client(caller)
    body = WatchedBody()
    response = await http.post("/imports", content=body, headers=MULTIPART)
    assert_problem(response, status)
    assert response.headers["connection"] == "close"
    assert not body.read
    assert not import_dir.exists()


async def test_an_importer_still_uploads(client: AsyncClient, import_dir: Path) -> None:
    body = WatchedBody()
    response = await client.post("/imports", content=body, headers=MULTIPART)
    assert response.status_code == 202, response.text
    assert body.read


def test_the_default_upload_limit_fits_the_largest_uhri_export() -> None:
    # The Russian export is about 1.4 times the English one (~360 MB).
    limit = Settings().max_upload_bytes
    assert 1.4 * 360e6 < limit <= 600e6


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[ServedApi]:
    with served(served_settings(database_url, tmp_path), tmp_path / "server.log") as running:
        yield running


def test_the_server_closes_the_connection_instead_of_reading_the_upload(
    api: ServedApi, tmp_path: Path
) -> None:
    host, port = api.url.removeprefix("http://").split(":")
    declared = 400 * 1024 * 1024
    request = (
        f"POST /api/v1/imports HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(request + HEAD + b"[" * 1024)
        answer = b""
        while chunk := connection.recv(65536):  # b"" once the server has closed
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401"), answer[:200]
    assert b"connection: close" in answer.lower()
    assert not (tmp_path / "uploads").exists()
