"""Streaming readers for UHRI's JSON and Excel exports and rectrack's CSV template.

Each yields (index, record) with the record in the JSON export's shape, whatever the format, and
never holds the whole file in memory. A file that cannot be read raises FileFormatError.
"""

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import ijson
from defusedxml import DefusedXmlException

from app.imports.json_stream import MeteredSource, RecordTooLarge, json_records, parse_problem
from app.imports.workbook import MAX_ROWS, WorkbookRefused, check_archive, open_workbook

Format = Literal["json", "xlsx", "csv"]
Record = dict[str, Any]

# UHRI's 16 Excel columns (its own spelling) and the JSON key each one fills.
EXCEL_COLUMNS = {
    "Text": "Text",
    "Countries Concerned": "Countries",
    "Reccomending Body": "Body",
    "Document Symbol": "Symbol",
    "Themes": "Themes",
    "Affected Persons": "AffectedPersons",
    "Sdgs": "Sdgs",
    "Document Publication Date": "PublicationDate",
    "UPR Reccomending States": "UprRecommendingCountry",
    "UPR Position": "UprPositions",
    "Type": "AnnotationType",
    "OHCHR Annotation Id": "AnnotationId",
    "UPR Session": "UprSession",
    "Regions Concerned": "Regions",
    "Recommending Regions": "UprRecommendingRegions",
    "Date of publication on UHRI": "PublicationDateOnUhri",
}
LIST_FIELDS = {
    "Countries", "Themes", "AffectedPersons", "Sdgs", "UprRecommendingCountry", "UprPositions",
    "UprSession", "Regions", "UprRecommendingRegions",
}  # fmt: skip

# rectrack's CSV template for recommendations no UN mechanism published (docs/import.md).
CSV_COLUMNS = {
    "id": "AnnotationId",
    "text": "Text",
    "countries": "Countries",
    "body": "Body",
    "symbol": "Symbol",
    "type": "AnnotationType",
    "publication_date": "PublicationDate",
    "themes": "Themes",
    "affected_persons": "AffectedPersons",
    "sdgs": "Sdgs",
    "upr_recommending_states": "UprRecommendingCountry",
    "upr_position": "UprPositions",
    "upr_session": "UprSession",
    "upr_cycle": "UprCycle",
}
CSV_REQUIRED = {"id", "text", "countries", "body", "symbol", "publication_date"}


class FileFormatError(Exception):
    """The file is not one rectrack can import; the message says why."""


def detect_format(path: Path) -> Format:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"["):
        return "json"
    if stripped.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise FileFormatError("The file is not UTF-8 text (UTF-16?); export it as UTF-8.")
    first_line = stripped.split(b"\n", 1)[0].decode("utf-8", errors="replace").lower()
    if "text" in first_line and ("," in first_line or ";" in first_line):
        return "csv"
    raise FileFormatError(
        "Not a UHRI export: expected a JSON array, an Excel workbook (.xlsx) or rectrack's CSV "
        "template."
    )


def read_records(path: Path, fmt: Format) -> Iterator[tuple[int, Record]]:
    if fmt == "json":
        return _read_json(path)
    if fmt == "xlsx":
        return _read_xlsx(path)
    return _read_csv(path)


def _read_json(path: Path) -> Iterator[tuple[int, Record]]:
    with path.open("rb") as handle:
        source = MeteredSource(handle)
        try:
            yield from json_records(source)
        except RecordTooLarge as exc:
            raise FileFormatError(str(exc)) from exc
        except ijson.common.JSONError as exc:
            raise FileFormatError(parse_problem(exc, source)) from exc
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"The file is not valid UTF-8 ({exc.reason}).") from exc


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).replace("\r", "\n").split("\n") if part.strip()]


def check_workbook(path: Path) -> None:
    """Refuse a workbook over the caps of app.imports.workbook, before anything opens it."""
    try:
        check_archive(path)
    except WorkbookRefused as exc:
        raise FileFormatError(str(exc)) from exc


def _read_xlsx(path: Path) -> Iterator[tuple[int, Record]]:
    check_workbook(path)
    handle = path.open("rb")  # a file object: openpyxl would judge a path by its extension
    try:
        workbook = open_workbook(handle)
    except WorkbookRefused as exc:
        handle.close()
        raise FileFormatError(str(exc)) from exc
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        handle.close()
        raise FileFormatError(f"The file is not a readable Excel workbook: {exc}") from exc
    try:
        yield from _sheet_records(workbook.worksheets[0])
    except WorkbookRefused as exc:
        raise FileFormatError(str(exc)) from exc
    except (ValueError, IndexError, SyntaxError, DefusedXmlException) as exc:
        # A cell that names a shared string not there, XML that does not parse (ParseError is
        # a SyntaxError), a DTD: the sheet is broken or crafted.
        raise FileFormatError(f"The workbook's sheet cannot be read: {exc}") from exc
    finally:
        workbook.close()
        handle.close()


def _sheet_records(sheet: Any) -> Iterator[tuple[int, Record]]:
    header_row = next(sheet.iter_rows(max_row=1, values_only=True), ())
    header = [str(cell).strip() if cell is not None else "" for cell in header_row]
    missing = [name for name in EXCEL_COLUMNS if name not in header]
    if missing:
        raise FileFormatError(
            f"The workbook lacks UHRI's columns: {', '.join(missing)}. Found: "
            f"{', '.join(h for h in header if h) or 'nothing'}."
        )
    positions = {EXCEL_COLUMNS[name]: header.index(name) for name in EXCEL_COLUMNS}
    # Only the columns up to UHRI's last: a cell far to the right would widen every row.
    rows = sheet.iter_rows(min_row=2, max_col=max(positions.values()) + 1, values_only=True)
    for index, row in enumerate(rows):
        if index + 2 > MAX_ROWS:
            raise WorkbookRefused(f"The sheet has more rows than Excel allows ({MAX_ROWS:,}).")
        if not any(cell not in (None, "") for cell in row):
            continue
        record: Record = {}
        for key, position in positions.items():
            value = row[position] if position < len(row) else None
            record[key] = _split(value) if key in LIST_FIELDS else value
        yield index, record


def _read_csv(path: Path) -> Iterator[tuple[int, Record]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        try:
            sample = handle.read(8192)
            handle.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            reader = csv.DictReader(handle, dialect=dialect)
            header = {(name or "").strip().lower() for name in reader.fieldnames or []}
            missing = sorted(CSV_REQUIRED - header)
            if missing:
                raise FileFormatError(f"The CSV lacks the columns: {', '.join(missing)}.")
            for index, row in enumerate(reader):
                record: Record = {}
                for name, value in row.items():
                    key = CSV_COLUMNS.get((name or "").strip().lower())
                    if key is not None:
                        record[key] = _split(value) if key in LIST_FIELDS else value
                yield index, record
        except UnicodeDecodeError as exc:
            raise FileFormatError(f"The file is not valid UTF-8 ({exc.reason}).") from exc
        except csv.Error as exc:
            raise FileFormatError(f"The CSV is malformed: {exc}") from exc
