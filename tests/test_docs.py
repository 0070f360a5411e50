"""The README and docs/ stand on their own: a clone has every file they point to."""

import re
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_stays_inside_the_repository(page: Path) -> None:
    text = page.read_text("utf-8")
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(PROJECT_ROOT), f"{page.name} points outside: {target}"
        assert path.exists(), f"{page.name} points to a missing file: {target}"
    # The design notes the project was built from are not part of a clone.
    assert "DESIGN" not in text


def test_the_readme_says_how_long_the_suite_takes_and_how_to_run_part_of_it() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text("utf-8")
    assert "RECTRACK_TEST_BACKENDS=sqlite .venv/bin/pytest" in readme
    assert re.search(r"about \d+ minutes", readme)
    assert "../" not in readme
