"""Reading exported files back, and what each cell should hold given the database's values."""

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from typing import Any

import openpyxl

from app.exports.cells import neutralise
from app.exports.formats import Column

BOM = b"\xef\xbb\xbf"


def read_csv(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    assert body.startswith(BOM), body[:20]
    reader = csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"), newline=""))
    header, *rows = list(reader)
    return header, [dict(zip(header, row, strict=True)) for row in rows]


_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")


def _unescaped(value: Any) -> Any:
    """A cell as Excel shows it: control characters are stored as _xHHHH_, which openpyxl
    leaves as they are in inline strings."""
    if isinstance(value, str):
        return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def read_xlsx(body: bytes) -> tuple[list[str], list[dict[str, Any]]]:
    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    assert len(book.worksheets) == 1, book.sheetnames
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return header, [
        dict(zip(header, map(_unescaped, row), strict=False)) for row in rows[1:] if any(row)
    ]


def read_ndjson(body: bytes) -> list[dict[str, Any]]:
    text = body.decode("utf-8")
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def csv_cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.kind == "list":
        return neutralise("; ".join(map(str, value))) if value else ""
    if column.kind == "text":
        return neutralise(value)
    if column.kind == "bool":
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def xlsx_cell(column: Column, value: Any) -> Any:
    if value is None or value == []:
        return None
    if column.kind == "list":
        return neutralise("; ".join(map(str, value)))
    if column.kind == "text":
        return neutralise(value)
    if column.kind == "datetime":
        return value.astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    if column.kind == "date":
        return dt.datetime.combine(value, dt.time())
    if column.kind == "code":
        return str(value)
    return value


def json_cell(column: Column, value: Any) -> Any:
    if column.kind == "list":
        return list(value or [])
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return value


def assert_files_agree(
    columns: Sequence[Column],
    expected: list[dict[str, Any]],
    csv_body: bytes,
    xlsx_body: bytes,
    ndjson_body: bytes,
) -> None:
    """Every column of every row of the three files holds the database's value, in order."""
    names = [c.name for c in columns]
    header, csv_rows = read_csv(csv_body)
    assert header == names
    assert csv_rows == [{c.name: csv_cell(c, row[c.name]) for c in columns} for row in expected]
    header, xlsx_rows = read_xlsx(xlsx_body)
    assert header == names
    want = [{c.name: xlsx_cell(c, row[c.name]) for c in columns} for row in expected]
    # Excel keeps times to the second (what a spreadsheet shows): compare at that precision.
    got = [
        {k: v.replace(microsecond=0) if isinstance(v, dt.datetime) else v for k, v in r.items()}
        for r in xlsx_rows
    ]
    for got_row, want_row in zip(got, want, strict=True):
        assert got_row == want_row, {k: (got_row[k], v) for k, v in want_row.items()}
    json_rows = read_ndjson(ndjson_body)
    assert json_rows == [{c.name: json_cell(c, row[c.name]) for c in columns} for row in expected]
    assert all(list(r) == names for r in json_rows)
