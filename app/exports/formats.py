"""The three export formats, each written batch by batch as the rows arrive (DESIGN §10).

An export is a fixed list of columns and an async iterator of row batches (tuples in column
order). CSV and NDJSON go out as each batch is written; XLSX is written by XlsxWriter in its
constant-memory mode (each row goes to a temporary file as soon as it is complete) and sent
once the workbook is closed. Memory stays flat however many rows there are.
"""

import asyncio
import csv
import datetime as dt
import io
import json
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, Literal

import xlsxwriter

from app.exports.cells import neutralise

ExportFormat = Literal["csv", "xlsx", "ndjson"]
MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ndjson": "application/x-ndjson",
}
# text: free text (neutralised in spreadsheets); code: a value from a fixed vocabulary (never a
# formula); list: several values, joined with "; " in spreadsheets, an array in NDJSON.
Kind = Literal["text", "code", "list", "int", "date", "datetime", "bool"]
SEPARATOR = "; "
BOM = "\ufeff"
# Excel's last row; an export longer than that goes on in a second sheet.
XLSX_MAX_ROWS = 1_048_576
_XLSX_CHUNK = 256 * 1024

Row = Sequence[Any]
Batches = AsyncIterator[Sequence[Row]]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "text"
    # Width in XLSX, in characters.
    width: int = 14


def _joined(values: Sequence[Any]) -> str:
    return neutralise(SEPARATOR.join(map(str, values))) if values else ""


def _spreadsheet_text(kind: Kind) -> Callable[[Any], Any] | None:
    """How a CSV cell of this kind is written; None when the csv module writes it as it is
    (None as an empty cell, ints, and dates, whose str() is ISO 8601)."""
    if kind == "text":
        return lambda value: neutralise(value) if value else value
    if kind == "list":
        return lambda value: _joined(value) if value else ""
    if kind == "datetime":
        return lambda value: value.isoformat() if value is not None else None
    if kind == "bool":
        return lambda value: None if value is None else ("true" if value else "false")
    return None


def _converter(columns: Sequence[Column], of: Callable[[Kind], Any]) -> Callable[[Row], list[Any]]:
    """A function turning a row into a list of cells, touching only the columns that need it."""
    changes = [(i, f) for i, c in enumerate(columns) if (f := of(c.kind)) is not None]

    def convert(row: Row) -> list[Any]:
        cells = list(row)
        for i, change in changes:
            cells[i] = change(cells[i])
        return cells

    return convert


async def csv_stream(columns: Sequence[Column], batches: Batches) -> AsyncIterator[bytes]:
    """UTF-8 with a byte-order mark (so that Excel reads the accents right), CRLF lines."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    convert = _converter(columns, _spreadsheet_text)
    buffer.write(BOM)
    writer.writerow([c.name for c in columns])
    yield buffer.getvalue().encode()
    async for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(map(convert, batch))
        yield buffer.getvalue().encode()


def _json_value(kind: Kind) -> Callable[[Any], Any] | None:
    if kind in ("date", "datetime"):
        return lambda value: value.isoformat() if value is not None else None
    return None


async def ndjson_stream(columns: Sequence[Column], batches: Batches) -> AsyncIterator[bytes]:
    """One JSON object per line, keyed by column; lists as arrays, texts as stored."""
    names = [c.name for c in columns]
    convert = _converter(columns, _json_value)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    async for batch in batches:
        lines = [dumps(dict(zip(names, convert(row), strict=True))) for row in batch]
        if lines:
            yield ("\n".join(lines) + "\n").encode()


class _Workbook:
    """An XLSX file in a temporary file, rows added batch by batch (blocking: run in a thread)."""

    def __init__(self, sheet_name: str, columns: Sequence[Column]) -> None:
        self.file: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by the stream)
        self.book = xlsxwriter.Workbook(
            self.file,
            {
                "constant_memory": True,
                # Every string is written as a string: never read as a formula, number or link.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                # Times are UTC; Excel has no zones.
                "remove_timezone": True,
            },
        )
        self.sheet_name = sheet_name
        self.columns = columns
        self.header = self.book.add_format({"bold": True})
        self.date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.sheets = 0
        self._new_sheet()

    def _new_sheet(self) -> None:
        self.sheets += 1
        name = self.sheet_name if self.sheets == 1 else f"{self.sheet_name} ({self.sheets})"
        self.sheet = self.book.add_worksheet(name)
        for i, column in enumerate(self.columns):
            self.sheet.set_column(i, i, column.width)
        self.sheet.freeze_panes(1, 0)
        for i, column in enumerate(self.columns):
            self.sheet.write_string(0, i, column.name, self.header)
        self.row = 1

    def _cell_writers(self) -> list[Callable[[int, int, Any], Any]]:
        sheet = self.sheet
        by_kind: dict[Kind, Callable[[int, int, Any], Any]] = {
            "text": lambda r, c, v: sheet.write_string(r, c, neutralise(v)),
            "code": sheet.write_string,
            "list": lambda r, c, v: sheet.write_string(r, c, _joined(v)),
            "int": sheet.write_number,
            "date": lambda r, c, v: sheet.write_datetime(r, c, v, self.date),
            "datetime": lambda r, c, v: sheet.write_datetime(r, c, v, self.datetime),
            "bool": sheet.write_boolean,
        }
        return [by_kind[c.kind] for c in self.columns]

    def add(self, batch: Sequence[Row]) -> None:
        writers = self._cell_writers()
        for row in batch:
            if self.row >= XLSX_MAX_ROWS:
                self._new_sheet()
                writers = self._cell_writers()
            r = self.row
            for c, value in enumerate(row):
                # An empty list is an empty cell, like a null.
                if value is not None and value != []:
                    writers[c](r, c, value)
            self.row += 1

    def close(self) -> None:
        self.book.close()
        self.file.seek(0)


async def xlsx_stream(
    sheet_name: str, columns: Sequence[Column], batches: Batches
) -> AsyncIterator[bytes]:
    """One sheet with a bold, frozen header row; dates as dates, numbers as numbers."""
    workbook = await asyncio.to_thread(_Workbook, sheet_name, columns)
    try:
        async for batch in batches:
            # XlsxWriter is plain Python: writing in a thread keeps the event loop serving.
            await asyncio.to_thread(workbook.add, batch)
        await asyncio.to_thread(workbook.close)
        while chunk := workbook.file.read(_XLSX_CHUNK):
            yield chunk
    finally:
        workbook.file.close()


def export_stream(
    fmt: ExportFormat, sheet_name: str, columns: Sequence[Column], batches: Batches
) -> AsyncIterator[bytes]:
    if fmt == "csv":
        return csv_stream(columns, batches)
    if fmt == "ndjson":
        return ndjson_stream(columns, batches)
    return xlsx_stream(sheet_name, columns, batches)


def file_name(stem: str, fmt: ExportFormat, on: dt.date) -> str:
    return f"{stem}-{on.isoformat()}.{fmt}"
