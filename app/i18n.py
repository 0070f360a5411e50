"""The six UN languages, and how a request picks the one labels are returned in."""

from collections.abc import Mapping
from typing import Annotated, Literal, get_args

from fastapi import Depends, Header, Query

Language = Literal["en", "fr", "es", "ar", "ru", "zh"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"

# Accept-Language tags that name a UN language under another spelling.
_TAG_ALIASES = {"zh-hans": "zh", "zh-cn": "zh", "zh-sg": "zh", "zh-hant": "zh", "zh-tw": "zh"}


def localize(names: Mapping[str, str], lang: Language) -> str:
    """The label in `lang`, falling back to English."""
    return names.get(lang) or names[DEFAULT_LANGUAGE]


def parse_accept_language(header: str | None) -> Language:
    """The best UN language the client accepts; English when none of them is named."""
    if not header:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for negative_quality, _, tag in sorted(ranked):
        if negative_quality >= 0:
            break
        tag = _TAG_ALIASES.get(tag, tag)
        primary = tag.split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


async def requested_language(
    lang: Annotated[
        Language | None,
        Query(
            description="Language of labels; overrides Accept-Language. English is the fallback."
        ),
    ] = None,
    accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Language:
    return lang or parse_accept_language(accept_language)


LanguageDep = Annotated[Language, Depends(requested_language)]
