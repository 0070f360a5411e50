"""The container files' security defaults (Docker cannot run here: the files are read), and the
compose init script run against the local PostgreSQL: a role that is no superuser migrates."""

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy.engine import make_url

from app.config import PROJECT_ROOT
from app.migrations import upgrade_to_head
from tests.conftest import POSTGRES_URL

INIT_SCRIPT = PROJECT_ROOT / "deploy" / "postgres-init" / "10-rectrack-role.sh"


def _compose() -> Any:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def test_compose_has_no_default_password_and_no_superuser_service_role() -> None:
    services = _compose()["services"]
    db, api = services["db"], services["api"]
    environment = {**db["environment"], **api["environment"]}
    passwords = [str(v) for k, v in environment.items() if "PASSWORD" in k or "DATABASE_URL" in k]
    assert passwords
    for value in passwords:
        assert re.search(r"\$\{[A-Z_]*PASSWORD:\?", value), value  # required, no default
    # The image's superuser is not the role the service connects as.
    assert "POSTGRES_USER" not in db["environment"]
    assert str(api["environment"]["RECTRACK_DATABASE_URL"]).startswith(
        "postgresql+asyncpg://rectrack:"
    )
    assert "./deploy/postgres-init:/docker-entrypoint-initdb.d:ro" in db["volumes"]
    assert api["ports"] == ["127.0.0.1:8000:8000"]  # behind the TLS proxy on the host
    assert "rectrack-data:/var/lib/rectrack" in api["volumes"]


def test_the_image_writes_only_to_its_volume() -> None:
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "RECTRACK_IMPORT_DIR=/var/lib/rectrack/imports" in dockerfile
    assert "VOLUME /var/lib/rectrack" in dockerfile
    assert "install -d -o rectrack -g rectrack" in dockerfile
    assert dockerfile.index("USER rectrack") > dockerfile.index("RUN pip install")


def test_the_init_script_makes_a_role_that_is_no_superuser_and_can_migrate(
    tmp_path: Path,
) -> None:
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    role = f"rectrack_init_{uuid.uuid4().hex[:8]}"
    script = tmp_path / "init.sh"
    script.write_text(INIT_SCRIPT.read_text().replace("rectrack", role))
    server = make_url(POSTGRES_URL)
    env = {
        **os.environ,
        "POSTGRES_USER": server.username or "postgres",
        "POSTGRES_DB": server.database or "postgres",
        "PGHOST": server.host or "127.0.0.1",
        "PGPORT": str(server.port or 5432),
        "RECTRACK_DB_PASSWORD": "it's a secret",
    }

    def admin(sql: str) -> str:
        return subprocess.run(
            ["psql", "-Atc", sql, "-U", env["POSTGRES_USER"], "-d", env["POSTGRES_DB"]],
            env=env, capture_output=True, text=True, check=True, timeout=60,
        ).stdout.strip()  # fmt: skip

    try:
        subprocess.run(["sh", str(script)], env=env, check=True, capture_output=True, timeout=60)
    except (subprocess.CalledProcessError, OSError) as exc:
        pytest.skip(f"PostgreSQL not reachable for the init script: {exc}")
    try:
        flags = admin(
            f"SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '{role}'"
        )
        assert flags == "f|f|f"
        assert (
            admin(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{role}'")
            == role
        )
        url = server.set(
            drivername="postgresql+asyncpg",
            username=role,
            password=env["RECTRACK_DB_PASSWORD"],
            database=role,
        )
        upgrade_to_head(url.render_as_string(hide_password=False))  # pg_trgm included
    finally:
        admin(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)')
        admin(f'DROP ROLE IF EXISTS "{role}"')
