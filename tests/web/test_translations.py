"""Every interface string is translated into the six UN languages, and the committed compiled
catalogues are those of the committed sources."""

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from babel.util import pathmatch

from app.config import PROJECT_ROOT
from app.i18n import LANGUAGES
from app.web.i18n import LOCALE_DIR

KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def _extracted() -> set[str]:
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(PROJECT_ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    return {message[2] for message in found if isinstance(message[2], str)}


def _po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"


def test_the_template_is_current() -> None:
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        template = {m.id for m in read_po(pot) if m.id}
    assert _extracted() == template, "run the extract and update commands of docs/workspace.md"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_is_translated(lang: str) -> None:
    with _po(lang).open("rb") as source:
        catalog = read_po(source)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - translated)
    assert not missing, f"untranslated in {lang}: {missing}"
    problems = [(m.id, errors) for m, errors in catalog.check()]
    assert not problems, f"placeholders differ in {lang}: {problems}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(lang: str) -> None:
    with _po(lang).open("rb") as source:
        written = {m.id: m.string for m in read_po(source) if m.id and not m.fuzzy}
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.mo").open("rb") as compiled:
        built = {m.id: m.string for m in read_mo(compiled) if m.id}
    assert built == written, f"run `pybabel compile -d app/locale` ({lang})"


def test_every_module_that_marks_strings_is_extracted() -> None:
    """A pattern of babel.cfg that misses a module leaves its strings (notices, form errors)
    in English on every page, and the checks above cannot see them."""
    with (PROJECT_ROOT / "babel.cfg").open() as config:
        method_map, _ = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    marking = {
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "app").rglob("*.py")
        if "N_(" in path.read_text("utf-8") and path.name != "i18n.py"
    }
    covered = {name for name in marking if any(pathmatch(p, name) for p, _ in method_map)}
    assert marking - covered == set(), "add these modules to babel.cfg"
