"""Reading UHRI's fields: labels, paragraph numbers, dates, UPR cycles, annotation types."""

import datetime as dt
import functools
import html
import re
import unicodedata

_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_TAGS = re.compile(r"<[^>]{0,200}>")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")

# "Recommendation No. 33, para. 106:33." (early UPR reports)
_OLD_UPR = re.compile(r"^\s*Recommendation\s+No\.\s*\d+,\s*para\.\s*(\d{1,3})[:.](\d{1,3})")
# "132.90 …", Arabic "132-90", "133-29 -"
_UPR = re.compile(r"^\s*(\d{1,3})\s?[.\-]\s?(\d{1,3})(?!\d)(?!\.\d)")
# "12(b)" or "12 (b)"
_LETTERED = re.compile(r"^\s*(\d{1,3})\s?\(([a-z]{1,3})\)")
# "9.While", "8. The Committee"
_PLAIN = re.compile(r"^\s*(\d{1,3})\s?[.\-](?!\d)")
# A heading glued to the number: "Nationality laws32. The", "(arts. 1–4)8.Com", Arabic
# "مكافحة التطرف\n30 - إن"
_GLUED = re.compile(r"(?:(?<=[^\W\d])|(?<=[)\n]))\s?(\d{1,3})\s?[.\-](?!\d)")


# UHRI repeats a few thousand labels across hundreds of thousands of records: parsing each
# spelling once takes a third off the import's CPU time.
_LABEL_CACHE = 65536


@functools.lru_cache(maxsize=_LABEL_CACHE)
def clean_label(label: str) -> str:
    """UHRI's labels without the "- " prefix, stray spaces or a trailing asterisk."""
    label = label.strip()
    if label.startswith("-"):
        label = label[1:]
    return _SPACES.sub(" ", label).strip().rstrip("*").strip()


@functools.lru_cache(maxsize=_LABEL_CACHE)
def label_key(label: str) -> str:
    """What two spellings of one label have in common: case, accents and punctuation aside."""
    decomposed = unicodedata.normalize("NFKD", clean_label(label).casefold())
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\W_]+", " ", kept).strip()


def clean_text(text: str) -> str:
    """Text without HTML markup or entities and with tidy spacing; paragraphs kept."""
    text = html.unescape(_TAGS.sub(" ", text)) if ("<" in text or "&" in text) else text
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


def paragraph_number(text: str) -> str | None:
    """The paragraph number a UHRI text starts with, in its language's form, or None."""
    head = text[:300].translate(_ARABIC_DIGITS)
    if match := _OLD_UPR.match(head):
        return f"{match[1]}.{match[2]}"
    if match := _UPR.match(head):
        return f"{match[1]}.{match[2]}"
    if match := _LETTERED.match(head):
        return f"{match[1]}({match[2]})"
    if match := _PLAIN.match(head):
        return match[1]
    if match := _GLUED.search(head[:160]):
        return match[1]
    return None


def paragraph_readings(text: str) -> tuple[str, ...]:
    """The numbers a paragraph may have when a heading ending in a digit may be glued to it:
    "Reservation to article 412. Recalling" is paragraph 412, 12 or 2 (it is 12, after article
    4). Longest first; empty when the number is not in doubt. The import decides between them
    with the evidence it has (app.imports.paragraphs)."""
    head = text[:300].translate(_ARABIC_DIGITS)
    if any(pattern.match(head) for pattern in (_OLD_UPR, _UPR, _LETTERED, _PLAIN)):
        return ()
    match = _GLUED.search(head[:160])
    # Glued to letters ("laws32.") or after a line break, the digits are all the number's;
    # after a space, the heading may end in a number of its own.
    if match is None or len(match[1]) < 2 or head[match.start(1) - 1] != " ":
        return ()
    digits = match[1]
    return tuple(digits[i:] for i in range(len(digits)) if digits[i] != "0")


def parse_date(value: object) -> dt.date | None:
    """ISO dates and datetimes ("2016-12-28T00:00:00"), datetimes, or Excel serial numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 100000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        return None
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        pass
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return parse_date(float(text))
    for fmt in ("%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    return None


# The Human Rights Council sessions at which each UPR cycle's reports were adopted.
_CYCLE_BY_HRC_SESSION = ((20, 1), (35, 2), (51, 3))
_CYCLE_BY_UPR_SESSION = ((12, 1), (26, 2), (40, 3))
_CYCLE_BY_DATE = ((dt.date(2012, 6, 1), 1), (dt.date(2017, 6, 1), 2), (dt.date(2022, 11, 1), 3))
_HRC_SYMBOL = re.compile(r"^A/HRC/(\d{1,2})/")


def upr_cycle(
    given: object, upr_session: int | None, symbol: str, published: dt.date | None
) -> int | None:
    """The UPR cycle: as given, else from the UPR session, the report's symbol, or its date."""
    if isinstance(given, int) and 1 <= given <= 4:
        return given
    if isinstance(given, str) and given.strip().isdigit() and 1 <= int(given) <= 4:
        return int(given)
    if upr_session is not None:
        return next((c for last, c in _CYCLE_BY_UPR_SESSION if upr_session <= last), 4)
    if match := _HRC_SYMBOL.match(symbol):
        session = int(match[1])
        return next((c for last, c in _CYCLE_BY_HRC_SESSION if session <= last), 4)
    if published is not None:
        return next((c for before, c in _CYCLE_BY_DATE if published < before), 4)
    return None


_TYPE_WORDS = {
    "recommendation": ("recommend", "recomend", "توصي", "توصيات", "建议", "рекоменд"),
    "concern": ("concern", "observ", "préoccupation", "preocupa", "قلق", "ملاحظ", "关切", "意见",
                "обеспокоен", "замечан"),
}  # fmt: skip


@functools.lru_cache(maxsize=256)
def annotation_type(label: str | None) -> str:
    key = clean_label(label or "").casefold()
    for kind, stems in _TYPE_WORDS.items():
        if any(stem in key for stem in stems):
            return kind
    return "other"


_SUPPORTED = ("support", "accept", "appuy", "acept", "apoy", "تأييد", "أيد", "مؤيد", "支持",
              "接受", "поддерж", "приня")  # fmt: skip
_NOTED = ("noted", "note", "tomad", "pris", "أحيط", "علما", "注意", "注意到", "к сведению")


def upr_position(values: list[str]) -> str | None:
    """Supported or noted, from UHRI's position labels in any language.

    A recommendation supported in part counts as noted.
    """
    found: set[str] = set()
    for value in values:
        key = clean_label(value).casefold()
        if not key:
            continue
        if any(stem in key for stem in _NOTED):
            found.add("noted")
        elif any(stem in key for stem in _SUPPORTED):
            found.add("supported")
    if "noted" in found:
        return "noted"
    return "supported" if found else None


_SDG_CODE = re.compile(r"^\s*-?\s*(\d{1,2})(?:\.([0-9a-z]{1,2}))?\s*(?:-|–|$)")


def sdg_code(label: str) -> tuple[int, str | None] | None:
    """(goal, target code or None) from "16 - PEACE…" or "16.b - Promote…"; by code only."""
    match = _SDG_CODE.match(label)
    if not match:
        return None
    goal = int(match[1])
    return goal, (f"{goal}.{match[2]}" if match[2] else None)
