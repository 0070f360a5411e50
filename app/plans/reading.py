"""Reading a filled plan workbook back (DESIGN §10), refused as the importer refuses a hostile
workbook: the zip checked before it is opened, parts and rows capped while it is read, formulas
never calculated (a formula is its text; in a value or date column that is not a number)."""

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException

from app.exports.cells import FORMULA_STARTS
from app.imports.workbook import WorkbookRefused, check_archive, open_workbook
from app.models.action import ActionStatus
from app.models.progress_update import Assessment
from app.plans import labels
from app.plans.labels import ACTIONS, INDICATORS, PROGRESS, SHEETS, Column, Sheet

logger = logging.getLogger(__name__)

# A plan workbook holds an institution's rows: thousands, not a million.
MAX_ROWS = 20_000
MAX_NARRATIVE = 20_000
MAX_NOTE = 20_000
MAX_LINKS = 50
MAX_LINK = 2000


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: str | None
    message: str  # a msgid
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionRow:
    row: int
    id: uuid.UUID
    version: int | None
    status: ActionStatus


@dataclass(frozen=True)
class MeasurementRow:
    row: int
    id: uuid.UUID
    key: uuid.UUID
    value: float
    date: dt.date
    note: str | None


@dataclass(frozen=True)
class ProgressRow:
    row: int
    recommendation_id: uuid.UUID
    key: uuid.UUID
    assessment: Assessment
    narrative: str | None
    evidence: list[str]


@dataclass
class Filled:
    """What a workbook asks for, and what is wrong with it."""

    institution: str | None = None
    actions: list[ActionRow] = field(default_factory=list)
    measurements: list[MeasurementRow] = field(default_factory=list)
    progress: list[ProgressRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Unreadable(Exception):
    """Not a workbook rectrack can read at all; the message is for the person uploading."""


def read(path: Path) -> Filled:
    try:
        check_archive(path)
    except WorkbookRefused as exc:
        raise Unreadable(str(exc)) from exc
    with path.open("rb") as handle:
        try:
            workbook = open_workbook(handle, formulas_as_text=True)
        except WorkbookRefused as exc:
            raise Unreadable(str(exc)) from exc
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            # openpyxl's messages name the stored file's path: logged, never shown.
            logger.info("unreadable plan workbook: %s", exc)
            raise Unreadable("The file is not a readable Excel workbook.") from exc
        try:
            return _read(workbook)
        except WorkbookRefused as exc:
            raise Unreadable(str(exc)) from exc
        except (ValueError, IndexError, SyntaxError, DefusedXmlException) as exc:
            logger.info("unreadable plan workbook sheets: %s", exc)
            raise Unreadable("The workbook's sheets cannot be read.") from exc
        finally:
            workbook.close()


def _read(workbook: Any) -> Filled:
    filled = Filled()
    defined = workbook.defined_names.get("rectrack_institution")
    if defined is not None and defined.attr_text:
        filled.institution = defined.attr_text.strip().strip('"')
    names = set(workbook.sheetnames)
    for sheet in SHEETS:
        if sheet.name not in names:
            filled.problems.append(Problem(sheet.name, None, None, labels.MISSING_SHEET))
    if filled.problems:
        return filled
    for sheet, reader in ((ACTIONS, _action), (INDICATORS, _measurement), (PROGRESS, _progress)):
        for number, cells in _rows(workbook[sheet.name], sheet, filled.problems):
            reader(filled, sheet, number, cells)
    return filled


def _rows(ws: Any, sheet: Sheet, problems: list[Problem]) -> Any:
    width = len(sheet.columns)
    rows = ws.iter_rows(max_col=width, values_only=True)
    header = next(rows, ())
    wrong = [
        column.name
        for position, column in enumerate(sheet.columns)
        if not labels.header_matches(column, header[position] if position < len(header) else None)
    ]
    if wrong:
        problems.extend(Problem(sheet.name, 1, name, labels.WRONG_HEADER) for name in wrong)
        return
    for number, row in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            problems.append(
                Problem(sheet.name, number, None, labels.TOO_MANY_ROWS, {"limit": MAX_ROWS})
            )
            return
        cells = dict(zip((c.name for c in sheet.columns), row, strict=False))
        yield number, cells


class _Bad(Exception):
    def __init__(self, column: Column, message: str, **params: Any) -> None:
        self.column, self.message, self.params = column, message, params


def _column(sheet: Sheet, name: str) -> Column:
    return sheet.columns[sheet.position(name)]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str | None:
    """A text cell as typed: the `'` an export put before a formula-like text is removed."""
    if _blank(value):
        return None
    text = value if isinstance(value, str) else str(value)
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        text = text[1:]
    return text


def _uuid(sheet: Sheet, name: str, value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        raise _Bad(_column(sheet, name), labels.NOT_AN_ID) from None


def _choice(sheet: Sheet, name: str, value: Any, choices: Any) -> Any:
    try:
        return choices(str(value).strip())
    except ValueError:
        raise _Bad(
            _column(sheet, name), labels.NOT_A_CHOICE, choices=", ".join(str(c) for c in choices)
        ) from None


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = float(value)
    else:
        number = float(str(value).strip().replace(",", "."))
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError
    return number


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _guarded(filled: Filled, sheet: Sheet, number: int, read: Any) -> None:
    try:
        read()
    except _Bad as bad:
        filled.problems.append(
            Problem(sheet.name, number, bad.column.name, bad.message, bad.params)
        )


def _action(filled: Filled, sheet: Sheet, number: int, cells: dict[str, Any]) -> None:
    def read() -> None:
        if _blank(cells.get("id")) and _blank(cells.get("status")):
            return
        action_id = _uuid(sheet, "id", cells.get("id"))
        status = _choice(sheet, "status", cells.get("status"), ActionStatus)
        version = cells.get("key")
        filled.actions.append(
            ActionRow(number, action_id, version if isinstance(version, int) else None, status)
        )

    _guarded(filled, sheet, number, read)


def _measurement(filled: Filled, sheet: Sheet, number: int, cells: dict[str, Any]) -> None:
    def read() -> None:
        value, date = cells.get("new_value"), cells.get("new_date")
        if _blank(value) and _blank(date):
            return
        if _blank(value) or _blank(date):
            blank = "new_value" if _blank(value) else "new_date"
            raise _Bad(_column(sheet, blank), labels.NEEDS_VALUE_AND_DATE)
        indicator_id = _uuid(sheet, "id", cells.get("id"))
        key = _uuid(sheet, "key", cells.get("key"))
        try:
            number_value = _number(value)
        except ValueError:
            raise _Bad(_column(sheet, "new_value"), labels.NOT_A_NUMBER) from None
        try:
            on = _date(date)
        except ValueError:
            raise _Bad(_column(sheet, "new_date"), labels.NOT_A_DATE) from None
        note = _text(cells.get("note"))
        if note is not None and len(note) > MAX_NOTE:
            raise _Bad(_column(sheet, "note"), labels.TOO_LONG, limit=MAX_NOTE)
        filled.measurements.append(
            MeasurementRow(number, indicator_id, key, number_value, on, note)
        )

    _guarded(filled, sheet, number, read)


def _progress(filled: Filled, sheet: Sheet, number: int, cells: dict[str, Any]) -> None:
    def read() -> None:
        narrative = _text(cells.get("narrative"))
        evidence_text = _text(cells.get("evidence"))
        if _blank(cells.get("assessment")):
            if narrative or evidence_text:
                raise _Bad(_column(sheet, "assessment"), labels.NEEDS_ASSESSMENT)
            return
        rec_id = _uuid(sheet, "id", cells.get("id"))
        key = _uuid(sheet, "key", cells.get("key"))
        assessment = _choice(sheet, "assessment", cells.get("assessment"), Assessment)
        if narrative is not None and len(narrative) > MAX_NARRATIVE:
            raise _Bad(_column(sheet, "narrative"), labels.TOO_LONG, limit=MAX_NARRATIVE)
        links = [part.strip() for part in (evidence_text or "").splitlines() if part.strip()]
        if len(links) > MAX_LINKS:
            raise _Bad(_column(sheet, "evidence"), labels.TOO_MANY_LINKS, limit=MAX_LINKS)
        if any(
            not link.startswith(("http://", "https://")) or len(link) > MAX_LINK or " " in link
            for link in links
        ):
            raise _Bad(_column(sheet, "evidence"), labels.NOT_A_LINK)
        filled.progress.append(ProgressRow(number, rec_id, key, assessment, narrative, links))

    _guarded(filled, sheet, number, read)
