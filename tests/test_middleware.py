"""The request-size limit holds for bodies streamed without Content-Length (chunked), too."""

from collections.abc import AsyncIterator

from fastapi import FastAPI
from httpx import AsyncClient

from tests.problems import assert_problem

PREFIX, SUFFIX = b'{"name": "Streamed", "description": "', b'"}'


async def _cluster_in_pieces(filler: int, piece: int) -> AsyncIterator[bytes]:
    """A cluster whose description is `filler` bytes, sent `piece` bytes at a time: the client
    cannot know the length beforehand, so it sends no Content-Length."""
    yield PREFIX
    for start in range(0, filler, piece):
        yield b"x" * min(piece, filler - start)
    yield SUFFIX


async def test_a_chunked_body_under_the_limit_is_read(client: AsyncClient) -> None:
    response = await client.post(
        "/clusters",
        content=_cluster_in_pieces(5_000, 1_000),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 201, response.text
    assert response.json()["description"] == "x" * 5_000


async def test_a_chunked_body_over_the_limit_is_413(app: FastAPI, client: AsyncClient) -> None:
    limit = app.state.settings.max_body_bytes
    response = await client.post(
        "/clusters",
        content=_cluster_in_pieces(limit + 1, 64 * 1024),
        headers={"Content-Type": "application/json"},
    )
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert_problem(response, 413)
    assert (await client.get("/clusters")).json()["items"] == []
