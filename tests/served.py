"""The API served by a real Uvicorn process, for tests that speak HTTP to it or kill it."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from app.config import Settings
from app.main import create_app
from app.models.user import Role
from tests.accounts import bearer, make_user
from tests.conftest import clear_data, settings_for_test


@dataclass
class ServedApi:
    url: str
    process: subprocess.Popen[bytes]
    settings: Settings

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no rollback, as when the machine loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def served_settings(database_url: str, workdir: Path) -> Settings:
    return settings_for_test(database_url, workdir)


def _environment(settings: Settings) -> dict[str, str]:
    assert settings.secret_key is not None
    return {
        **os.environ,
        "RECTRACK_DATABASE_URL": settings.database_url,
        "RECTRACK_ENVIRONMENT": settings.environment,
        "RECTRACK_SECRET_KEY": settings.secret_key.get_secret_value(),
        "RECTRACK_PASSWORD_TIME_COST": str(settings.password_time_cost),
        "RECTRACK_PASSWORD_MEMORY_KIB": str(settings.password_memory_kib),
        "RECTRACK_IMPORT_DIR": str(settings.import_dir),
    }


def start(settings: Settings, log: Path) -> ServedApi:
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603
            command, env=_environment(settings), stdout=output, stderr=subprocess.STDOUT
        )
    api = ServedApi(f"http://127.0.0.1:{port}", process, settings)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{api.url}/readyz", timeout=1).status_code == 200:
                return api
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("the server did not become ready in 30 s")


def signed_in_as(settings: Settings, role: Role) -> dict[str, str]:
    """Empty the database down to its seed and return headers for a new account of `role`."""

    async def prepare() -> dict[str, str]:
        application = create_app(settings)
        try:
            await clear_data(application.state.engine)
            return bearer(application, await make_user(application, role))
        finally:
            await application.state.engine.dispose()

    return asyncio.run(prepare())


@contextmanager
def served(settings: Settings, log: Path) -> Iterator[ServedApi]:
    api = start(settings, log)
    try:
        yield api
    finally:
        if api.process.poll() is None:
            api.process.terminate()
            api.process.wait(timeout=10)
