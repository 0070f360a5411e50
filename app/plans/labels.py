"""The plan workbook's sheets and columns (DESIGN §10), and the words a person reads in it.

Sheet names are the same in every language (clients find sheets by name); column headers and
the problems found on upload are gettext messages (app/locale), in the requester's language.
Columns are read back by position; a header is accepted in any of the six languages, so that a
workbook downloaded in French can be uploaded by someone whose browser asks for English.
"""

import functools
from dataclasses import dataclass
from typing import Literal

from app.i18n import LANGUAGES, Language
from app.web.i18n import N_, translations

Kind = Literal["text", "date", "number", "choice", "id", "key"]


@dataclass(frozen=True)
class Column:
    name: str  # the column's name in code and in the problems' `column`
    header: str  # a msgid
    width: int
    kind: Kind = "text"
    wrap: bool = False

    @property
    def locked(self) -> bool:
        return self.kind in ("id", "key")


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]

    def position(self, name: str) -> int:
        return next(i for i, column in enumerate(self.columns) if column.name == name)


_ID = Column("id", N_("Id (do not change)"), 38, "id")
_KEY = Column("key", N_("Row key (do not change)"), 38, "key")
_SYMBOL = Column("symbol", N_("Symbol"), 22)
_PARAGRAPH = Column("paragraph", N_("Paragraph"), 11)
_TEXT = Column("text", N_("Recommendation"), 70, wrap=True)
_LATEST = Column("latest_assessment", N_("Latest validated assessment"), 24)

RECOMMENDATIONS = Sheet(
    "Recommendations",
    (
        _ID,
        _SYMBOL,
        _PARAGRAPH,
        Column("mechanism", N_("Mechanism"), 14),
        _TEXT,
        Column("role", N_("Role"), 10),
        Column("due_date", N_("Due date"), 12, "date"),
        Column("status", N_("Status"), 22),
        _LATEST,
        Column("validated_on", N_("Validated on"), 12, "date"),
    ),
)
ACTIONS = Sheet(
    "Actions",
    (
        _ID,
        _KEY,
        Column("title", N_("Action"), 50, wrap=True),
        Column("recommendations", N_("Recommendations served"), 28, wrap=True),
        Column("start_date", N_("Start date"), 12, "date"),
        Column("due_date", N_("Due date"), 12, "date"),
        Column("status", N_("Status (choose)"), 16, "choice"),
    ),
)
INDICATORS = Sheet(
    "Indicators",
    (
        _ID,
        _KEY,
        Column("name", N_("Indicator"), 45, wrap=True),
        Column("unit", N_("Unit"), 12),
        Column("baseline", N_("Baseline"), 11),
        Column("target", N_("Target"), 11),
        Column("target_date", N_("Target date"), 12, "date"),
        Column("latest_value", N_("Latest value"), 13),
        Column("latest_date", N_("Latest value's date"), 13, "date"),
        Column("new_value", N_("New value (fill in)"), 15, "number"),
        Column("new_date", N_("New value's date (fill in)"), 15, "date"),
        Column("note", N_("Note"), 40, wrap=True),
    ),
)
PROGRESS = Sheet(
    "Progress",
    (
        _ID,
        _KEY,
        _SYMBOL,
        _PARAGRAPH,
        _TEXT,
        _LATEST,
        Column("assessment", N_("Assessment (choose)"), 24, "choice"),
        Column("narrative", N_("Narrative"), 60, wrap=True),
        Column("evidence", N_("Evidence links (one per line)"), 40, wrap=True),
    ),
)
SHEETS = (RECOMMENDATIONS, ACTIONS, INDICATORS, PROGRESS)

# Problems found in an uploaded workbook.
NOT_A_PLAN = N_("This is not a plan workbook downloaded from rectrack.")
MISSING_SHEET = N_("The sheet is missing.")
WRONG_HEADER = N_("This column's header is not the one rectrack wrote; do not move columns.")
TOO_MANY_ROWS = N_("The sheet has more rows than a plan workbook can hold (%(limit)s).")
OTHER_INSTITUTION = N_("This workbook is another institution's; a focal point uploads its own.")
UNKNOWN_INSTITUTION = N_("The workbook's institution does not exist.")
NOT_AN_ID = N_("Not an id that rectrack wrote.")
UNKNOWN_ACTION = N_("There is no such action.")
UNKNOWN_INDICATOR = N_("There is no such indicator.")
UNKNOWN_RECOMMENDATION = N_("There is no such recommendation.")
NOT_A_CHOICE = N_("Choose one of: %(choices)s.")
NOT_A_NUMBER = N_("Not a number (formulas are not calculated).")
NOT_A_DATE = N_("Not a date (YYYY-MM-DD).")
FUTURE_DATE = N_("The date is in the future.")
NEEDS_VALUE_AND_DATE = N_("Fill in both the new value and its date.")
NEEDS_ASSESSMENT = N_("Choose an assessment for this narrative or evidence.")
NOT_A_LINK = N_("Each evidence link must start with http:// or https://.")
TOO_LONG = N_("The text is too long (at most %(limit)s characters).")
TOO_MANY_LINKS = N_("At most %(limit)s evidence links.")
REPEATED_ROW = N_("This row key appears twice in the workbook.")
KEY_OF_ANOTHER_ROW = N_("This row key belongs to another row.")
STALE_ACTION = N_("The action changed after the workbook was downloaded; download it again.")
NOT_RESPONSIBLE = N_("Only the institution responsible for this action changes its status.")
NOT_ASSIGNED = N_("Your institution is not assigned to this recommendation.")
NOT_ASSIGNED_TO_EVERY = N_(
    "Your institution is not assigned to every recommendation this indicator measures."
)
ALREADY_SUBMITTED = N_("This update was already submitted; it can no longer be changed.")
ALREADY_MEASURED = N_(
    "This measurement was already recorded; a coordinator corrects recorded measurements."
)
REFUSED = N_("Refused: %(reason)s")
PROBLEMS = N_("The workbook has problems; nothing was written. See errors.")


def gettext(lang: Language, message: str) -> str:
    return translations(lang).gettext(message)


@functools.cache
def accepted_headers(header: str) -> frozenset[str]:
    """A column's header in each of the six languages, normalised for comparison."""
    return frozenset(_normal(gettext(lang, header)) for lang in LANGUAGES) | {_normal(header)}


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def header_matches(column: Column, found: object) -> bool:
    return isinstance(found, str) and _normal(found) in accepted_headers(column.header)
