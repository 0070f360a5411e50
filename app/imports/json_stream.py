"""UHRI's JSON export read one record at a time, with bounded memory whatever the file holds.

ijson's item builder keeps a path string per nesting level for every event, so a record nested
40,000 deep cost gigabytes; records are built here from yajl's bare events instead, and a record
nested deeper than MAX_RECORD_DEPTH is skipped unbuilt and reported invalid. yajl holds a whole
string in memory before it reports it, so the bytes read since a record began are capped too.
"""

import codecs
from collections.abc import Iterator
from typing import Any, BinaryIO

import ijson

# A UHRI record is an object of strings, numbers and lists of strings: two levels.
MAX_RECORD_DEPTH = 8
# UHRI's longest record is some kilobytes; a text of 50 MB is still reported as one invalid
# record rather than failing the file.
MAX_RECORD_BYTES = 64 * 1024**2
TOO_DEEP = "_too_deep"
NOT_AN_ARRAY = "the file is not a JSON array"
ENDS_INSIDE = "the file ends inside a record"
NOT_AN_OBJECT = "_not_an_object"
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


class RecordTooLarge(ValueError):
    """A record (or whatever precedes it) runs past MAX_RECORD_BYTES."""


class MeteredSource:
    """Passes the file's bytes to yajl; fails on the first byte sequence that is not UTF-8
    (yajl would accept some) and once a record runs past MAX_RECORD_BYTES."""

    def __init__(self, raw: BinaryIO, max_record_bytes: int = MAX_RECORD_BYTES) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.max_record_bytes = max_record_bytes
        self.since_record = 0
        self.record_index = 0
        # The bytes given to the parser so far, and where the last read began: an error lies
        # between the two (yajl does not say where).
        self.position = 0
        self.read_from = 0
        self.last_read = b""

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.read_from, self.position = self.position, self.position + len(data)
        self.last_read = data
        self._decoder.decode(data, final=not data)
        self.since_record += len(data)
        if self.since_record > self.max_record_bytes:
            raise RecordTooLarge(
                f"Record {self.record_index} (counting from 0) is larger than "
                f"{self.max_record_bytes // 1024**2} MB; no UHRI record comes near that."
            )
        return data


def parse_problem(exc: Exception, source: MeteredSource) -> str:
    """One line for yajl's error, which spans several (a caret drawn under a snippet): what is
    wrong, and where in the file."""
    what = str(exc).strip().splitlines()[0].removeprefix("parse error: ") if str(exc) else ""
    if what == NOT_AN_ARRAY:
        return "The file is not a JSON array; UHRI's JSON export is one."
    record = f"record {source.record_index} (counting from 0)"
    if "premature EOF" in what or what == ENDS_INSIDE:
        return f"The JSON is truncated: the file ends at byte {source.position}, inside {record}."
    offset = _caret_offset(str(exc), source.last_read)
    if offset is not None:
        where = f"at byte {source.read_from + offset}"
    else:
        where = f"between bytes {source.read_from} and {source.position}"
    return f"The JSON is malformed ({what or 'unreadable'}) in {record}, {where}."


def _caret_offset(message: str, chunk: bytes) -> int | None:
    """Where in `chunk` yajl's caret points: its snippet (newlines shown as spaces) is found in
    the chunk, when it occurs there once."""
    lines = message.splitlines()
    if len(lines) < 3 or "^" not in lines[2]:
        return None
    snippet, caret = lines[1], lines[2].index("^")
    text = snippet.lstrip(" ")
    padding = len(snippet) - len(text)
    flat = chunk.decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")
    if not text.strip() or flat.count(text) != 1:
        return None
    return len(flat[: flat.index(text) + caret - padding].encode("utf-8"))


def json_records(source: MeteredSource) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, record) for each item of the top-level array. An item that is not an object, or
    is nested too deep, comes as a one-key marker dict that normalize() reports."""
    events = ijson.basic_parse(source, use_float=True)
    if next(events, (None, None))[0] != "start_array":
        raise ijson.common.JSONError(NOT_AN_ARRAY)
    for index, (event, value) in enumerate(events):
        if event == "end_array":
            for _ in events:  # nothing may follow the array; yajl refuses what does
                pass
            return
        source.since_record = 0
        source.record_index = index
        item = _build(event, events) if event in _OPEN else value
        if isinstance(item, dict):
            yield index, item
        else:
            yield index, {NOT_AN_OBJECT: item}


def _build(first: str, events: Iterator[tuple[str, Any]]) -> Any:
    """The value that `first` opens, or {TOO_DEEP: True} when it nests too deep."""
    stack: list[Any] = [{} if first == "start_map" else []]
    key = None
    for event, value in events:
        if event == "map_key":
            key = value
            continue
        if event in _OPEN:
            if len(stack) == MAX_RECORD_DEPTH:
                _skip(events, open_levels=len(stack) + 1)
                return {TOO_DEEP: True}
            child: Any = {} if event == "start_map" else []
        elif event in _CLOSE:
            done = stack.pop()
            if not stack:
                return done
            continue
        else:
            child = value
        parent = stack[-1]
        if type(parent) is dict:
            parent[key] = child
        else:
            parent.append(child)
        if event in _OPEN:
            stack.append(child)
    raise ijson.common.IncompleteJSONError(ENDS_INSIDE)


def _skip(events: Iterator[tuple[str, Any]], open_levels: int) -> None:
    """Read to the end of a record without building it: only its depth is counted."""
    depth = open_levels
    for event, _ in events:
        if event in _OPEN:
            depth += 1
        elif event in _CLOSE:
            depth -= 1
            if depth == 0:
                return
    raise ijson.common.IncompleteJSONError(ENDS_INSIDE)
