"""Opening an Excel workbook (a zip of XML parts) with bounded memory and CPU.

A 13 MB workbook whose shared strings inflated to 114 MB took 790 MB and 104 s of CPU, and a
zip's central directory, each part's inflated size and each XML element are all the sender's to
choose. So, before openpyxl reads anything: the central directory is small, each part inflates
to at most its kind's cap and all of them together to MAX_UNZIPPED_BYTES; while it reads: the
shared strings are counted and no row (sheet) or string (shared strings) runs past its cap in
the XML. openpyxl parses with defusedxml (no DTDs, no entity expansion).
"""

import struct
import zipfile
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal

from openpyxl.reader.excel import ExcelReader
from openpyxl.workbook.workbook import Workbook
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

MAX_PARTS = 10_000
MAX_DIRECTORY_BYTES = 1024**2
MAX_UNZIPPED_BYTES = 2 * 1024**3
# Worksheets are streamed row by row; UHRI's Russian export as a sheet is about 0.5 GB.
MAX_SHEET_BYTES = 1024**3
# Shared strings are held in memory, all of them: enough for tens of thousands of records.
# UHRI's full export is for the JSON reader.
MAX_SHARED_STRINGS_BYTES = 64 * 1024**2
MAX_SHARED_STRINGS = 500_000
# Every other part (workbook, styles, relationships) is parsed whole; a real one is kilobytes.
MAX_PART_BYTES = 16 * 1024**2
# A row of 16 cells holds at most 16 × 32,767 characters (Excel's limit per cell).
MAX_ROW_XML_BYTES = 4 * 1024**2
MAX_STRING_XML_BYTES = 1024**2
# Excel's own limit; openpyxl would make up empty rows up to any row number a sheet names.
MAX_ROWS = 1_048_576
MAX_COMPRESSION_RATIO = 200
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_SI = f"{{{SHEET_MAIN_NS}}}si"
_T = f"{{{SHEET_MAIN_NS}}}t"
_R = f"{{{SHEET_MAIN_NS}}}r"


class WorkbookRefused(Exception):
    """The workbook is over a cap; the message says which, for the person importing it."""


def check_archive(path: Path) -> None:
    """Refuse a zip whose directory or inflated parts are beyond the caps, unopened."""
    _check_directory(path)
    try:
        with zipfile.ZipFile(path) as archive:
            total = 0
            for info in archive.infolist():
                total += info.file_size
                ratio = info.file_size / max(info.compress_size, 1)
                if total > MAX_UNZIPPED_BYTES or (
                    info.file_size > 10 * 1024**2 and ratio > MAX_COMPRESSION_RATIO
                ):
                    raise WorkbookRefused(
                        "The workbook would inflate to an unreasonable size (a zip bomb?)."
                    )
                cap, kind = _cap(info.filename)
                if info.file_size > cap:
                    advice = _USE_JSON if kind == "shared strings" else ""
                    raise WorkbookRefused(
                        f"The workbook's {kind} {info.filename} inflates to {info.file_size:,} "
                        f"bytes, over the {cap:,} rectrack reads{advice}."
                    )
    except zipfile.BadZipFile as exc:
        raise WorkbookRefused("The file looks like a zip archive but is not a valid one.") from exc


_USE_JSON = "; import UHRI's JSON export instead, or an Excel export of fewer records"


def _cap(name: str) -> tuple[int, str]:
    lowered = name.lower()
    if "sharedstrings" in lowered:
        return MAX_SHARED_STRINGS_BYTES, "shared strings"
    if "/worksheets/" in lowered:
        return MAX_SHEET_BYTES, "sheet"
    return MAX_PART_BYTES, "part"


def _check_directory(path: Path) -> None:
    """zipfile reads the whole central directory into memory: look at its size first, in the
    end-of-directory record (the last one in the file, as zipfile finds it)."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise WorkbookRefused("The file looks like a zip archive but is not a valid one.")
    entries, directory_bytes = struct.unpack("<HI", tail[at + 10 : at + 16])
    if (
        tail[max(0, at - 20) : at - 16] == _ZIP64_LOCATOR
        or entries > MAX_PARTS
        or (directory_bytes > MAX_DIRECTORY_BYTES)
    ):
        raise WorkbookRefused(
            f"The workbook has more parts than an Excel file (over {MAX_PARTS:,})."
        )


def open_workbook(handle: BinaryIO, *, formulas_as_text: bool = False) -> Workbook:
    """openpyxl's read-only workbook, reading through the caps (check_archive first). Nothing
    is ever calculated: a formula cell gives its cached value, or with `formulas_as_text` the
    formula's own text (the plan workbook treats what a person typed as text)."""
    reader = _CappedReader(handle, read_only=True, data_only=not formulas_as_text)
    reader.read()
    return reader.wb


class _CappedReader(ExcelReader):  # type: ignore[misc]
    def __init__(self, handle: BinaryIO, **options: Any) -> None:
        super().__init__(handle, **options)
        self.archive = _GuardedZip(handle)

    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = shared_strings(source)


def shared_strings(source: IO[bytes]) -> list[str]:
    """The shared strings table, as openpyxl reads it (plain and rich text joined), counted."""
    strings: list[str] = []
    root = None
    for event, node in iterparse(source, events=("start", "end")):
        if root is None:
            root = node
        elif event == "end" and node.tag == _SI:
            parts = [t.text or "" for t in node.findall(_T)]
            parts += [run.findtext(_T) or "" for run in node.findall(_R)]
            strings.append("".join(parts).replace("x005F_", ""))
            root.clear()  # keep no parsed element behind
            if len(strings) > MAX_SHARED_STRINGS:
                raise WorkbookRefused(
                    f"The workbook holds more than {MAX_SHARED_STRINGS:,} distinct strings"
                    f"{_USE_JSON}."
                )
    return strings


class _GuardedZip(zipfile.ZipFile):
    """Opens sheets and the shared strings through a check on the length of each row or
    string in their XML, before the XML parser builds it."""

    def open(
        self, name: Any, mode: Literal["r", "w"] = "r", *args: Any, **kwargs: Any
    ) -> IO[bytes]:
        stream = super().open(name, mode, *args, **kwargs)
        filename = name.filename if isinstance(name, zipfile.ZipInfo) else str(name)
        kind = _cap(filename)[1]
        if mode != "r" or kind == "part":
            return stream
        if kind == "sheet":
            return _UnitLimited(stream, b"<row", MAX_ROW_XML_BYTES, "row")  # type: ignore[return-value]
        return _UnitLimited(stream, b"<si", MAX_STRING_XML_BYTES, "string")  # type: ignore[return-value]


class _UnitLimited:
    """A part's bytes, refused where a unit (a row, a string) runs past `limit` bytes of XML:
    the bytes from one `marker` to the next. Markup cannot hide in text (XML escapes "<")."""

    def __init__(self, raw: IO[bytes], marker: bytes, limit: int, unit: str) -> None:
        self._raw, self._marker, self._limit, self._unit = raw, marker, limit, unit
        self._run = 0
        self._tail = b""

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        window = self._tail + data  # a marker may straddle two reads
        first = window.find(self._marker)
        if first < 0:
            self._run += len(data)
        else:
            last = window.rfind(self._marker)
            ended = self._run - len(self._tail) + first  # the unit the first marker closes
            if len(window) > self._limit:  # a large read may hold whole units
                ended = max(ended, *map(len, window[first:last].split(self._marker)))
            self._check(ended)
            self._run = len(window) - last
        self._check(self._run)
        self._tail = window[-(len(self._marker) - 1) :]
        return data

    def _check(self, length: int) -> None:
        if length > self._limit:
            raise WorkbookRefused(
                f"A {self._unit} of the workbook is over {self._limit // 1024:,} KB of XML; "
                "no UHRI record comes near that."
            )

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> "_UnitLimited":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
