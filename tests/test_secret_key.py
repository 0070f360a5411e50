"""No built-in signing key (DESIGN §6): the operator gives one, or the first run makes one and
keeps it beside the data; a weak one stops start-up with a one-line message."""

import datetime as dt
import secrets
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from click.testing import CliRunner
from httpx import ASGITransport, AsyncClient
from pydantic import SecretStr, ValidationError

from app.cli import main
from app.config import Settings, get_settings
from app.main import create_app
from app.models.user import Role
from app.secret_key import KEY_FILE_NAME, SecretKeyError, with_secret_key
from tests.accounts import bearer, make_user

# The key every copy of rectrack used by default before this was fixed: public, so forgeable.
FORMER_PUBLIC_KEY = "development-only-secret-do-not-deploy"


def _forged(user_id: object, key: str) -> dict[str, str]:
    now = dt.datetime.now(dt.UTC)
    claims = {"sub": str(user_id), "sv": 1, "typ": "access", "iat": now,
              "exp": now + dt.timedelta(minutes=5)}  # fmt: skip
    return {"Authorization": f"Bearer {jwt.encode(claims, key, 'HS256')}"}


async def test_a_token_signed_with_the_former_public_key_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    app = create_app(Settings(database_url=database_url, data_dir=tmp_path, password_time_cost=1,
                              password_memory_kib=1024))  # fmt: skip
    try:
        coordinator = await make_user(app, Role.coordinator)
        transport = ASGITransport(app=app)
        async with AsyncClient(transport=transport, base_url="http://t/api/v1") as http:
            forged = await http.get("/users/me", headers=_forged(coordinator.id, FORMER_PUBLIC_KEY))
            assert forged.status_code == 401
            genuine = await http.get("/users/me", headers=bearer(app, coordinator))
            assert genuine.status_code == 200
    finally:
        await app.state.engine.dispose()


def test_the_first_run_makes_a_key_beside_the_sqlite_file_and_later_runs_reuse_it(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path}/data/rectrack.db")
    (tmp_path / "data").mkdir()
    first = with_secret_key(settings).secret_key
    path = tmp_path / "data" / KEY_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first is not None
    assert len(first.get_secret_value()) == 64
    again = with_secret_key(settings).secret_key
    assert again is not None
    assert again.get_secret_value() == first.get_secret_value()
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE_NAME]  # no temporary left


def test_processes_starting_at_once_agree_on_one_key(tmp_path: Path) -> None:
    settings = Settings(database_url="postgresql://u@h/db", data_dir=tmp_path / "keys")
    start = threading.Barrier(8)
    keys: list[str] = []

    def boot() -> None:
        start.wait()
        key = with_secret_key(settings).secret_key
        assert key is not None
        keys.append(key.get_secret_value())

    threads = [threading.Thread(target=boot) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert [p.name for p in (tmp_path / "keys").iterdir()] == [KEY_FILE_NAME]


@pytest.mark.parametrize(
    "key", ["short", "x" * 40, FORMER_PUBLIC_KEY, "change-me-change-me-change-me-change-me",
            "0123456789abcdef0123456789abcdef"],
)  # fmt: skip
def test_a_weak_key_from_the_operator_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="openssl rand -hex 32"):
        Settings(secret_key=SecretStr(key))


def test_keys_made_as_documented_are_taken() -> None:
    for key in (secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(32)):
        assert Settings(secret_key=SecretStr(key)).secret_key is not None


def test_production_never_generates_a_key_and_refuses_a_readable_key_file(tmp_path: Path) -> None:
    settings = Settings(environment="production", database_url="postgresql://u@h/db",
                        data_dir=tmp_path)  # fmt: skip
    with pytest.raises(SecretKeyError, match="RECTRACK_SECRET_KEY is not set"):
        with_secret_key(settings)
    assert not (tmp_path / KEY_FILE_NAME).exists()
    path = tmp_path / KEY_FILE_NAME
    given = secrets.token_hex(32)
    path.write_text(given + "\n")
    path.chmod(0o644)
    with pytest.raises(SecretKeyError, match="chmod 600"):
        with_secret_key(settings)
    path.chmod(0o600)
    key = with_secret_key(settings).secret_key
    assert key is not None
    assert key.get_secret_value() == given


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", f"sqlite:///{tmp_path}/cli.db")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_serve_with_a_weak_key_stops_with_one_line(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("RECTRACK_SECRET_KEY", "changeme")
    environment.setattr("uvicorn.run", lambda *a, **k: pytest.fail("served with a weak key"))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "RECTRACK_SECRET_KEY is too weak" in lines[0]
    assert "openssl rand -hex 32" in lines[0]


def test_serve_takes_the_trusted_proxies_from_the_environment(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.setenv("RECTRACK_FORWARDED_ALLOW_IPS", "10.0.0.2")
    served: dict[str, str] = {}
    environment.setattr("uvicorn.run", lambda *a, **k: served.update(k))
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert served.pop("forwarded_allow_ips") == "10.0.0.2"
    assert (tmp_path / KEY_FILE_NAME).exists()  # made once, before the workers start
    CliRunner().invoke(main, ["serve", "--forwarded-allow-ips", "10.0.0.3"])
    assert served.pop("forwarded_allow_ips") == "10.0.0.3"


@pytest.mark.parametrize(
    "key", ["changeme" * 5, "your-secret-key-here" * 2,
            "this-is-my-super-secret-key-for-production-use",
            "CHANGE_ME_TO_A_RANDOM_STRING_OF_64_CHARACTERS!!",
            "correct-horse-battery-staple-orange-river-mountain"],
)  # fmt: skip
def test_a_placeholder_or_a_phrase_is_refused_as_a_key(key: str) -> None:
    with pytest.raises(ValidationError, match="openssl rand -hex 32"):
        Settings(secret_key=SecretStr(key))


def test_random_keys_are_never_taken_for_placeholders() -> None:
    for _ in range(200):
        for key in (secrets.token_hex(32), secrets.token_urlsafe(32)):
            assert Settings(secret_key=SecretStr(key)).secret_key is not None


def test_a_key_file_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    settings = Settings(environment="production", database_url="postgresql://u@h/db",
                        data_dir=tmp_path / "data")  # fmt: skip
    elsewhere = tmp_path / "chosen_by_someone"
    elsewhere.write_text(secrets.token_hex(32) + "\n")
    elsewhere.chmod(0o600)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / KEY_FILE_NAME).symlink_to(elsewhere)
    with pytest.raises(SecretKeyError, match="symbolic link"):
        with_secret_key(settings)


def test_a_key_file_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(environment="production", database_url="postgresql://u@h/db",
                        data_dir=tmp_path)  # fmt: skip
    path = tmp_path / KEY_FILE_NAME
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    # The service running as another user than the file's owner.
    monkeypatch.setattr("os.geteuid", lambda: path.stat().st_uid + 1)
    with pytest.raises(SecretKeyError, match="belongs to another user"):
        with_secret_key(settings)
