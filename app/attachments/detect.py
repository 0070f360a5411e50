"""What an uploaded file is, from its content: the name a browser sends proves nothing.

Binary types come from the file's first bytes (the `filetype` package reads the signatures, and
for DOCX, XLSX, ODT and ODS the names inside the zip); anything else is text only when every
byte of it is UTF-8 without control characters, which the upload checks as it streams.
"""

import codecs
import re

import filetype

# What filetype names the accepted binary types, and the type they are served with.
BINARY_TYPES = {
    "application/pdf": "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "application/vnd.oasis.opendocument.text": "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet": (
        "application/vnd.oasis.opendocument.spreadsheet"
    ),
    "image/png": "image/png",
    "image/jpeg": "image/jpeg",
}
# filetype reads at most this much.
HEAD_BYTES = 8192
TEXT, CSV = "text/plain; charset=utf-8", "text/csv; charset=utf-8"
# Tab, line feed, form feed and carriage return are text; other C0 controls and DEL are not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_DELIMITERS = (",", ";", "\t")
# The extensions a file of each type is kept and served with; the first is the one added.
EXTENSIONS = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.oasis.opendocument.text": (".odt",),
    "application/vnd.oasis.opendocument.spreadsheet": (".ods",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    CSV: (".csv",),
    TEXT: (".txt",),
}
_ACCEPTED_EXTENSIONS = {ext for exts in EXTENSIONS.values() for ext in exts}
_MAX_NAME = 255


class TextCheck:
    """Fed every chunk of an upload: is the whole of it UTF-8 text?"""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.is_text = True

    def feed(self, chunk: bytes, final: bool = False) -> None:
        if not self.is_text:
            return
        try:
            decoded = self._decoder.decode(chunk, final)
        except UnicodeDecodeError:
            self.is_text = False
            return
        if _CONTROL.search(decoded):
            self.is_text = False


def _looks_like_csv(head: bytes) -> bool:
    """Text whose first lines each hold the same number (one or more) of one delimiter."""
    lines = [line for line in head.decode("utf-8", "ignore").splitlines()[:5] if line.strip()]
    if len(lines) < 2:
        return False
    for delimiter in _DELIMITERS:
        counts = {line.count(delimiter) for line in lines}
        if len(counts) == 1 and counts.pop() > 0:
            return True
    return False


def content_type(head: bytes, text: TextCheck) -> str | None:
    """The type to store and serve the file as, or None when it is not one rectrack takes."""
    if not head:
        return None
    kind = filetype.guess(head)
    if kind is not None:
        return BINARY_TYPES.get(kind.mime)
    if text.is_text:
        return CSV if _looks_like_csv(head) else TEXT
    return None


def named_for(filename: str, kind: str) -> str:
    """The name to keep and serve a file under: its extension is its detected type's, so that a
    saved download opens as what it is, never as what the sender named it (`report.hta` sent as
    text becomes `report.hta.txt`). Another accepted type's extension is replaced; any other
    extension stays, followed by the right one."""
    right = EXTENSIONS[kind]
    stem, dot, extension = filename.rpartition(".")
    if dot and f".{extension.lower()}" in right:
        return filename
    base = stem if dot and stem and f".{extension.lower()}" in _ACCEPTED_EXTENSIONS else filename
    return base[: _MAX_NAME - len(right[0])] + right[0]
