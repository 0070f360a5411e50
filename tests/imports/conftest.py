from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.imports.worker import ImportWorker

Upload = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def import_dir(app: FastAPI) -> Path:
    """Where this test's uploads wait (each test's settings name a folder of its own)."""
    return app.state.settings.import_dir  # type: ignore[no-any-return]


@pytest.fixture
def run_imports(app: FastAPI) -> Callable[[], Awaitable[int]]:
    """Run the queued jobs, as the worker in the API process would."""

    async def run() -> int:
        return await ImportWorker(app.state.sessionmaker).run_pending()

    return run


@pytest.fixture
def upload(client: AsyncClient, run_imports: Callable[[], Awaitable[int]]) -> Upload:
    """POST a file to /imports, run the job, and return the finished job."""

    async def send(path: Path, **form: Any) -> dict[str, Any]:
        with path.open("rb") as handle:
            response = await client.post("/imports", files={"file": (path.name, handle)}, data=form)
        assert response.status_code == 202, response.text
        queued = response.json()
        assert queued["status"] == "queued"
        assert response.headers["location"].endswith(f"/imports/{queued['id']}")
        assert await run_imports() == 1
        finished = await client.get(f"/imports/{queued['id']}")
        assert finished.status_code == 200
        job: dict[str, Any] = finished.json()
        return job

    return send
