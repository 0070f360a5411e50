import subprocess
import sys

import pytest
from fastapi import FastAPI

from app.config import PROJECT_ROOT
from app.db import create_sessionmaker
from app.reference.seed import seed_reference_data


async def test_seeding_again_changes_nothing(app: FastAPI) -> None:
    async with create_sessionmaker(app.state.engine)() as session, session.begin():
        written = await seed_reference_data(session, app.state.settings.seeds_dir)
    assert written == dict.fromkeys(written, 0)
    assert set(written) == {
        "sdg_goal", "sdg_target", "mechanism", "country", "theme", "affected_person",
    }  # fmt: skip


def test_seed_files_agree_with_the_shared_reference_data() -> None:
    data = PROJECT_ROOT.parent / "shared" / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is not here to check against")
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(PROJECT_ROOT / "tools" / "check_seeds.py"), "--data", str(data)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
