"""A short piece of a recommendation's text for a list row, with the searched terms marked.

The page's language is preferred; when the terms were found only in another language's text
(a search for 酷刑 on an English page), that text is shown instead, so that the mark is visible.
Segments are plain text: the template escapes them and wraps the marked ones in <mark>.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.i18n import DEFAULT_LANGUAGE

LENGTH = 280
_BEFORE = 80


@dataclass(frozen=True)
class Excerpt:
    lang: str
    segments: list[tuple[str, bool]]  # (text, marked)
    translated: bool  # shown in the page's language


def _pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = sorted({re.escape(t) for t in terms if t}, key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def _cut(text: str, pattern: re.Pattern[str] | None) -> list[tuple[str, bool]]:
    first = pattern.search(text) if pattern else None
    start = max(0, first.start() - _BEFORE) if first else 0
    if start:
        # Begin at a word boundary where there is one near.
        space = text.find(" ", start, start + 20)
        start = space + 1 if space != -1 else start
    end = min(len(text), start + LENGTH)
    if end < len(text):
        space = text.rfind(" ", end - 20, end)
        end = space if space > start else end
    piece = text[start:end]
    segments: list[tuple[str, bool]] = []
    if start:
        segments.append(("… ", False))
    position = 0
    for found in pattern.finditer(piece) if pattern else ():
        if found.start() > position:
            segments.append((piece[position : found.start()], False))
        segments.append((found.group(), True))
        position = found.end()
    segments.append((piece[position:], False))
    if end < len(text):
        segments.append((" …", False))
    return [(segment, marked) for segment, marked in segments if segment]


def excerpt(texts: Mapping[str, str], lang: str, terms: Sequence[str]) -> Excerpt:
    pattern = _pattern(terms)
    order = [lang, DEFAULT_LANGUAGE, *texts]
    available = [code for code in dict.fromkeys(order) if texts.get(code)]
    if not available:
        return Excerpt(lang, [], True)
    chosen = available[0]
    if pattern and not pattern.search(texts[chosen]):
        chosen = next((c for c in available if pattern.search(texts[c])), chosen)
    return Excerpt(chosen, _cut(texts[chosen], pattern), chosen == lang)
