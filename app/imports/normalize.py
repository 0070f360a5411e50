"""Turning a UHRI record (in the JSON export's shape) into the facts rectrack stores.

Labels are matched by code where one exists (SDGs, ISO country codes, mechanism codes) and by
cleaned label otherwise, so that any one language's export yields the same facts as the English.
"""

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import LANGUAGES
from app.imports import parsing
from app.imports.json_stream import MAX_RECORD_DEPTH, NOT_AN_OBJECT, TOO_DEEP
from app.json_types import nul_location
from app.models.country import Country
from app.models.mechanism import Mechanism, MechanismType
from app.models.sdg import SdgTarget
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations.schemas import MAX_TEXT_LENGTH

# The same formula as the seeds, so that a label met first in an import gets the id it will
# have everywhere.
LABEL_NAMESPACE = uuid.UUID("6f1c1a52-8f0e-4a4e-9a59-2f3c1b7e0d11")
_SPECIAL_PROCEDURE = re.compile(
    r"^(SR|WG|IE|Special Rapporteur|Independent Expert|Working Group)\b", re.IGNORECASE
)
_TREATY_SYMBOL_COUNTRY = re.compile(r"^[A-Z][A-Z-]*/(?:C/)?(?:OP/[A-Z]+/)?([A-Z]{3})/")


def label_id(kind: str, label: str) -> uuid.UUID:
    return uuid.uuid5(LABEL_NAMESPACE, f"{kind}:{label}")


class RecordProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Facts:
    """What a record says, whatever the language of the file it came in."""

    symbol: str
    type: str
    mechanism_code: str
    countries: tuple[str, ...]
    publication_date: dt.date
    upr_position: str | None
    upr_cycle: int | None
    upr_session: int | None
    recommending_states: tuple[str, ...]
    sdg_goals: tuple[int, ...]
    sdg_targets: tuple[str, ...]
    themes: tuple[uuid.UUID, ...]
    affected_persons: tuple[uuid.UUID, ...]


@dataclass
class ImportRecord:
    index: int
    uhri_id: str
    lang: str
    text: str
    paragraph: str | None
    facts: Facts
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # More than one when a heading's digit may be glued to the number (parsing.paragraph_readings)
    paragraph_readings: tuple[str, ...] = ()

    def digest(self) -> str:
        """Changes whenever the text or any fact this file gives changes."""
        payload = json.dumps(
            [self.text, self.paragraph, [str(v) for v in vars(self.facts).values()]],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PendingLabels:
    mechanisms: dict[str, MechanismType]
    themes: dict[uuid.UUID, str]
    affected_persons: dict[uuid.UUID, str]


@dataclass
class Lookups:
    """The reference data, keyed the ways UHRI labels it. New labels met are added as pending."""

    mechanisms: dict[str, str]
    mechanism_ids: dict[str, int]
    countries: dict[str, str]
    country_names: dict[str, str]
    targets: dict[str, int]
    themes: dict[str, uuid.UUID]
    affected_persons: dict[str, uuid.UUID]
    new_mechanisms: dict[str, MechanismType] = field(default_factory=dict)
    new_themes: dict[uuid.UUID, str] = field(default_factory=dict)
    new_affected_persons: dict[uuid.UUID, str] = field(default_factory=dict)

    def take_pending(self) -> "PendingLabels":
        """Hand over the labels met since the last call, for the writer to create."""
        pending = PendingLabels(
            dict(self.new_mechanisms), dict(self.new_themes), dict(self.new_affected_persons)
        )
        self.new_mechanisms.clear()
        self.new_themes.clear()
        self.new_affected_persons.clear()
        return pending

    @classmethod
    async def load(cls, session: AsyncSession) -> "Lookups":
        mechanisms: dict[str, str] = {}
        mechanism_ids: dict[str, int] = {}
        for mech in (await session.scalars(select(Mechanism))).all():
            mechanism_ids[mech.code] = mech.id
            for label in [mech.code, *mech.aliases, *mech.name.values()]:
                mechanisms.setdefault(parsing.label_key(label), mech.code)
        countries: dict[str, str] = {}
        names: dict[str, str] = {}
        for country in (await session.scalars(select(Country))).all():
            names[country.iso3] = country.name["en"]
            for label in [*country.name.values(), *country.aliases]:
                countries.setdefault(parsing.label_key(label), country.iso3)
            countries[country.iso3.lower()] = country.iso3
            countries[country.iso2.lower()] = country.iso3
        targets = dict((await session.execute(select(SdgTarget.code, SdgTarget.goal_number))).all())

        async def labels(model: type[Theme] | type[AffectedPerson]) -> dict[str, uuid.UUID]:
            found: dict[str, uuid.UUID] = {}
            rows = await session.execute(select(model.id, model.label, model.name))
            for item_id, label, names in rows.all():
                for spelling in [label, *names.values()]:
                    found.setdefault(parsing.label_key(spelling), item_id)
            return found

        return cls(
            mechanisms=mechanisms,
            mechanism_ids=mechanism_ids,
            countries=countries,
            country_names=names,
            targets=targets,
            themes=await labels(Theme),
            affected_persons=await labels(AffectedPerson),
        )

    def mechanism(self, label: str, lang: str) -> str:
        cleaned = parsing.clean_label(label)
        if not cleaned:
            raise RecordProblem("Body", "no recommending body")
        code = self.mechanisms.get(parsing.label_key(cleaned))
        if code is not None:
            return code
        # Special-procedure mandates are many and new ones appear: create them as met. Short
        # codes (SR …) are the same in every language; long titles only from English files.
        is_short_code = cleaned[:3].upper() in {"SR ", "WG ", "IE "}
        if _SPECIAL_PROCEDURE.match(cleaned) and (is_short_code or lang == "en"):
            code = cleaned[:120]
            self.mechanisms[parsing.label_key(cleaned)] = code
            self.new_mechanisms[code] = MechanismType.special_procedure
            return code
        raise RecordProblem("Body", f"unknown recommending body: {cleaned!r}")

    def country(self, label: str) -> str | None:
        cleaned = parsing.clean_label(label)
        if not cleaned:
            return None
        key = parsing.label_key(cleaned)
        iso3 = self.countries.get(key)
        if iso3 is None:
            raise RecordProblem("Countries", f"unknown country: {cleaned!r}")
        return iso3

    def label(
        self, kind: str, raw: str, lang: str, warnings: list[tuple[str, str]]
    ) -> uuid.UUID | None:
        cleaned = parsing.clean_label(raw)
        if not cleaned:
            return None
        known = self.themes if kind == "theme" else self.affected_persons
        found = known.get(parsing.label_key(cleaned))
        if found is not None:
            return found
        field_name = "Themes" if kind == "theme" else "AffectedPersons"
        if lang != "en":
            # A translated label cannot be told apart from a new one: leave it to English.
            warnings.append((field_name, f"unknown {kind.replace('_', ' ')} label {cleaned!r}"))
            return None
        new_id = label_id(kind, cleaned)
        known[parsing.label_key(cleaned)] = new_id
        pending = self.new_themes if kind == "theme" else self.new_affected_persons
        pending[new_id] = cleaned
        return new_id


def _strings(value: Any, field_name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [str(v) for v in value]
    raise RecordProblem(field_name, "expected a list of labels")


def _int_or_none(values: Iterable[Any]) -> int | None:
    for value in values:
        text = str(value).strip()
        if text.isdigit():
            return int(text)
    return None


def normalize(index: int, raw: dict[str, Any], lang: str, lookups: Lookups) -> ImportRecord:
    """The record's facts, or RecordProblem saying which field makes no sense and why."""
    if NOT_AN_OBJECT in raw:
        raise RecordProblem("record", "not a JSON object")
    if TOO_DEEP in raw:
        raise RecordProblem("record", f"nested more than {MAX_RECORD_DEPTH} levels deep")
    # repr() shows U+0000 as \x00: a C-speed screen before the exact walk.
    if "\\x00" in repr(raw) and (where := nul_location(raw, ())) is not None:
        # PostgreSQL cannot store U+0000; refused on both backends so that they agree.
        raise RecordProblem(str(where[0]), "contains the NUL character (U+0000)")
    uhri_id = str(raw.get("AnnotationId") or "").strip()
    if not uhri_id:
        raise RecordProblem("AnnotationId", "missing")
    if len(uhri_id) > 64:
        raise RecordProblem("AnnotationId", "longer than 64 characters")
    raw_text = raw.get("Text")
    if not isinstance(raw_text, str) or not raw_text.strip():
        raise RecordProblem("Text", "missing")
    if len(raw_text) > MAX_TEXT_LENGTH * 2:
        raise RecordProblem("Text", f"longer than {MAX_TEXT_LENGTH} characters")
    text = parsing.clean_text(raw_text)
    if len(text) > MAX_TEXT_LENGTH:
        raise RecordProblem("Text", f"longer than {MAX_TEXT_LENGTH} characters")
    symbol = parsing.clean_label(str(raw.get("Symbol") or ""))
    if not symbol:
        raise RecordProblem("Symbol", "missing")
    if len(symbol) > 200:
        raise RecordProblem("Symbol", "longer than 200 characters")
    published = parsing.parse_date(raw.get("PublicationDate")) or parsing.parse_date(
        raw.get("PublicationDateOnUhri")
    )
    if published is None:
        raise RecordProblem("PublicationDate", f"not a date: {raw.get('PublicationDate')!r}")

    mechanism = lookups.mechanism(str(raw.get("Body") or ""), lang)
    countries = [lookups.country(c) for c in _strings(raw.get("Countries"), "Countries")]
    found = {c for c in countries if c}
    if not found and (match := _TREATY_SYMBOL_COUNTRY.match(symbol)):
        found = (
            {lookups.countries[match[1].lower()]}
            if match[1].lower() in lookups.countries
            else set()
        )

    warnings: list[tuple[str, str]] = []
    goals: set[int] = set()
    targets: set[str] = set()
    for label in _strings(raw.get("Sdgs"), "Sdgs"):
        code = parsing.sdg_code(label)
        if code is None or not 1 <= code[0] <= 17:
            warnings.append(("Sdgs", f"not an SDG label: {label[:60]!r}"))
        elif code[1] is None:
            goals.add(code[0])
        elif code[1] in lookups.targets:
            targets.add(code[1])
        else:
            warnings.append(("Sdgs", f"unknown SDG target {code[1]}"))

    is_upr = mechanism == "UPR"
    session = _int_or_none(_strings(raw.get("UprSession"), "UprSession")) if is_upr else None
    states = []
    if is_upr:
        for name in _strings(raw.get("UprRecommendingCountry"), "UprRecommendingCountry"):
            cleaned = parsing.clean_label(name)
            iso3 = lookups.countries.get(parsing.label_key(cleaned))
            # One spelling per State, whatever the file's language, so that filters agree.
            states.append(lookups.country_names[iso3] if iso3 else cleaned)
    themes = (
        lookups.label("theme", t, lang, warnings) for t in _strings(raw.get("Themes"), "Themes")
    )
    groups = (
        lookups.label("affected_person", a, lang, warnings)
        for a in _strings(raw.get("AffectedPersons"), "AffectedPersons")
    )
    facts = Facts(
        symbol=symbol,
        type=parsing.annotation_type(raw.get("AnnotationType")),
        mechanism_code=mechanism,
        countries=tuple(sorted(found)),
        publication_date=published,
        upr_position=parsing.upr_position(_strings(raw.get("UprPositions"), "UprPositions"))
        if is_upr
        else None,
        upr_cycle=parsing.upr_cycle(raw.get("UprCycle"), session, symbol, published)
        if is_upr
        else None,
        upr_session=session,
        recommending_states=tuple(sorted(set(states))),
        sdg_goals=tuple(sorted(goals)),
        sdg_targets=tuple(sorted(targets)),
        themes=tuple(sorted({t for t in themes if t})),
        affected_persons=tuple(sorted({g for g in groups if g})),
    )
    return ImportRecord(
        index=index,
        uhri_id=uhri_id,
        lang=lang,
        text=text,
        paragraph=parsing.paragraph_number(text),
        facts=facts,
        warnings=warnings,
        paragraph_readings=parsing.paragraph_readings(text),
    )


_SCRIPTS = (("ar", re.compile(r"[\u0600-\u06ff]")), ("zh", re.compile(r"[\u4e00-\u9fff]")),
            ("ru", re.compile(r"[\u0400-\u04ff]")))  # fmt: skip
_STOPWORDS = {
    "en": {"the", "and", "of", "to", "that", "state", "party"},
    "fr": {"le", "la", "les", "des", "et", "du", "partie", "une"},
    "es": {"el", "los", "las", "del", "y", "que", "parte", "una"},
}


def guess_language(texts: Iterable[str]) -> str:
    """The language most of these texts are in, by script and then by common words."""
    votes: dict[str, int] = dict.fromkeys(LANGUAGES, 0)
    for text in texts:
        sample = text[:400]
        script = next(
            (lang for lang, pattern in _SCRIPTS if len(pattern.findall(sample)) > 20), None
        )
        if script:
            votes[script] += 1
            continue
        words = set(re.findall(r"[^\W\d]+", sample.lower()))
        best = max(_STOPWORDS, key=lambda lang: len(words & _STOPWORDS[lang]))
        votes[best] += 1
    return max(votes, key=lambda lang: votes[lang])
