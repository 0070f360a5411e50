"""Peak memory of reading import files built to exhaust it, each in a fresh process.

For each file: the importer's reader (app.imports.readers.read_records, what a job runs), the
floor (a process that imports the reader and reads nothing), and where it helps the library
alone as the importer used it before issue #14 (ijson's item builder, openpyxl's whole
shared-strings table). Peak RSS is the child's own high-water mark (VmHWM); CPU seconds beside it.

    .venv/bin/python -m bench.bomb_bench
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook

from app.imports import workbook

MiB = 1024**2


def _depth_bomb(path: Path, depth: int) -> None:
    record = {"AnnotationId": "a", "Text": "1. Ratify.", "Symbol": "A/HRC/1/1"}
    head = json.dumps(record).encode()
    path.write_bytes(b"[" + head + b',{"Themes":' + b"[" * depth + b"]" * depth + b"}]")


def _big_record(path: Path, size: int) -> None:
    path.write_bytes(b'[{"AnnotationId": "a", "Text": "' + b"x" * size + b'"}]')


def _workbook(path: Path, strings: bytes | None = None, sheet: bytes | None = None) -> None:
    """A workbook with UHRI's header, its shared strings or sheet replaced when given."""
    book = Workbook()
    active = book.active
    assert active is not None
    from app.imports.readers import EXCEL_COLUMNS

    active.append(list(EXCEL_COLUMNS))
    plain = path.with_suffix(".plain.xlsx")
    book.save(plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "[Content_Types].xml" and strings is not None:
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                )
            if info.filename == "xl/worksheets/sheet1.xml" and sheet is not None:
                data = sheet
            out.writestr(info, data)
        if strings is not None:
            out.writestr("xl/sharedStrings.xml", strings)
    plain.unlink()


def _strings(count: int, length: int) -> bytes:
    body = b"".join(b"<si><t>%s</t></si>" % (b"%0*d" % (length, n)) for n in range(count))
    return (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + body
        + b"</sst>"
    )


def _zip_bomb(path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\x00" * (300 * MiB))


def _peak_rss_mib() -> float:
    """This process's own peak RSS. Not ru_maxrss: Linux carries the parent's size at fork into
    it across exec, and the parent has just written the file."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(how: str, path: Path) -> None:
    """Read `path` as `how` and print peak RSS (MiB), CPU seconds and the outcome."""
    started = time.process_time()
    outcome = "read"
    if how == "floor":
        from app.imports import readers  # noqa: F401
    elif how in ("json", "xlsx"):
        from app.imports.readers import FileFormatError, Format, read_records

        fmt: Format = "json" if how == "json" else "xlsx"
        try:
            records = sum(1 for _ in read_records(path, fmt))
            outcome = f"{records} records"
        except FileFormatError as exc:
            outcome = f"refused: {str(exc)[:70]}"
    elif how == "ijson-items":
        import ijson

        with path.open("rb") as handle:
            outcome = f"{sum(1 for _ in ijson.items(handle, 'item'))} records"
    elif how == "openpyxl-strings":
        from openpyxl.reader.strings import read_string_table

        with zipfile.ZipFile(path) as archive, archive.open("xl/sharedStrings.xml") as source:
            outcome = f"{len(read_string_table(source))} strings"
    print(
        json.dumps(
            {"rss": _peak_rss_mib(), "cpu": time.process_time() - started, "outcome": outcome}
        )
    )


def _measure(how: str, path: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.bomb_bench", "--child", how, str(path)],
        capture_output=True, text=True, check=True, timeout=900,
    )  # fmt: skip
    figures: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--child", nargs=2, metavar=("HOW", "PATH"))
    parser.add_argument("--old-depth", type=int, default=10_000, help="depth for ijson alone")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    under_cap = int(workbook.MAX_SHARED_STRINGS_BYTES * 0.95) // workbook.MAX_SHARED_STRINGS
    cases: list[tuple[str, str, Callable[[Path], None], list[str]]] = [
        ("depth bomb, 40,000 levels", "json", lambda p: _depth_bomb(p, 40_000), []),
        (f"depth bomb, {args.old_depth:,} levels", "json",
         lambda p: _depth_bomb(p, args.old_depth), ["ijson-items"]),
        ("one record of 63 MB (under the cap)", "json", lambda p: _big_record(p, 63 * MiB),
         ["ijson-items"]),
        ("one record of 65 MB (over the cap)", "json", lambda p: _big_record(p, 65 * MiB), []),
        ("shared strings of 104 MB, 10 MB file (like the issue's)", "xlsx",
         lambda p: _workbook(p, _strings(4_000_000, 10)), ["openpyxl-strings"]),
        (f"shared strings at the caps ({workbook.MAX_SHARED_STRINGS:,})", "xlsx",
         lambda p: _workbook(p, _strings(workbook.MAX_SHARED_STRINGS, under_cap - 16)),
         ["openpyxl-strings"]),
        ("zip bomb, 300 MB of zeros", "xlsx", _zip_bomb, []),
        ("a row of 5 MB", "xlsx", lambda p: _workbook(p, sheet=b'<worksheet xmlns="http://'
         b'schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c t="'
         b'inlineStr"><is><t>' + b"x" * 5 * MiB + b"</t></is></c></row></sheetData></worksheet>"),
         []),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        floor = _measure("floor", Path(scratch))
        print(f"floor (Python + the reader, nothing read): {floor['rss']:.0f} MiB")
        print("| file | size | reader | peak RSS | CPU | outcome |")
        print("| --- | --- | --- | --- | --- | --- |")
        for n, (name, fmt, write, others) in enumerate(cases):
            path = Path(scratch) / f"case{n}.{fmt}"
            write(path)
            size = f"{path.stat().st_size / MiB:.2f} MiB"
            for how in [fmt, *others]:
                got = _measure(how, path)
                print(f"| {name} | {size} | {how} | {got['rss']:.0f} MiB | {got['cpu']:.1f} s "
                      f"| {got['outcome']} |")  # fmt: skip
            path.unlink()


if __name__ == "__main__":
    main()
