"""The workspace's language: the switcher's cookie, else Accept-Language; gettext catalogues.

Interface strings are marked in templates (`{{ _("…") }}`, `{% trans %}`) and in Python with
`N_("…")`, which only marks a string for extraction: it is translated when a page is rendered,
in the language of that page. Catalogues live in app/locale (docs/workspace.md).
"""

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from fastapi import Request

from app.i18n import DEFAULT_LANGUAGE, LANGUAGES, Language, parse_accept_language

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
LANGUAGE_COOKIE = "rectrack_lang"
# Each language's name in itself, for the switcher.
AUTONYMS: dict[Language, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "ru": "Русский",
    "zh": "中文",
}
RIGHT_TO_LEFT: frozenset[Language] = frozenset({"ar"})


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class Message:
    """Text to show a person: a marked msgid and the values of its %(name)s placeholders."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


def as_language(value: str | None) -> Language | None:
    return next((lang for lang in LANGUAGES if lang == value), None)


def page_language(request: Request) -> Language:
    chosen = as_language(request.cookies.get(LANGUAGE_COOKIE))
    return chosen or parse_accept_language(request.headers.get("accept-language"))


@functools.cache
def translations(lang: Language) -> NullTranslations:
    # English has a catalogue too (msgstr = msgid), where wording can be changed without
    # touching the msgids every other language is keyed by.
    return Translations.load(str(LOCALE_DIR), [lang], DOMAIN)


_current: contextvars.ContextVar[Language] = contextvars.ContextVar(
    "page_language", default=DEFAULT_LANGUAGE
)


@contextmanager
def speaking(lang: Language) -> Iterator[None]:
    """Translate into `lang` while rendering (templates and imported macros alike)."""
    token = _current.set(lang)
    try:
        yield
    finally:
        _current.reset(token)


def current_language() -> Language:
    return _current.get()


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def translate(message: Message | str) -> str:
    if isinstance(message, str):
        return gettext(message)
    text = gettext(message.text)
    return text % message.params if message.params else text
