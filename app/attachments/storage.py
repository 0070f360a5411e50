"""The file store: evidence files on disk under RECTRACK_STORAGE_DIR, named by their SHA-256.

An upload streams to a temporary file in the store (never whole in memory), hashed and checked
as it comes; once complete it is renamed to `sha256/ab/<digest>`, so that the same file sent
twice is kept once and a half-written file never has a digest's name. A rename within one
directory tree is atomic, so a reader sees either no file or the whole of it.
"""

import asyncio
import hashlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_multipart
from python_multipart.multipart import parse_options_header
from starlette.requests import ClientDisconnect, Request

from app.attachments.detect import HEAD_BYTES, TextCheck
from app.config import Settings
from app.errors import BadRequest, PayloadTooLarge, UnprocessableEntity
from app.secret_key import data_dir

# Written to disk in pieces of this size: memory stays flat whatever the file's size.
_WRITE_CHUNK = 1024 * 1024
# Form fields beside the file (`public`, the workspace's CSRF token) are short and few.
_MAX_FIELD_BYTES = 1024
_MAX_FIELDS = 16
# The marker of an upload whose row is not committed yet (see keep).
_UPLOADING = ".uploading"
_MARKER_SECONDS = 24 * 3600
# The rest of the body is not read after a refusal: the connection cannot carry another request.
_CLOSE = {"Connection": "close"}


def storage_dir(settings: Settings) -> Path:
    return settings.storage_dir or data_dir(settings) / "files"


def blob_path(settings: Settings, digest: str) -> Path:
    return storage_dir(settings) / "sha256" / digest[:2] / digest


@dataclass
class Received:
    """An upload on disk in a temporary file, with what was learned while it streamed."""

    temp: Path | None = None
    filename: str | None = None
    size: int = 0
    head: bytes = b""
    text: TextCheck = field(default_factory=TextCheck)
    fields: dict[str, str] = field(default_factory=dict)
    digest: str = ""

    def discard(self) -> None:
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None


class _Events:
    """python-multipart's callbacks, queued for the async loop that writes the file."""

    def __init__(self) -> None:
        # A part's headers are queued with its "headers" event: one read may hold several parts.
        self.queue: list[tuple[str, Any]] = []
        self._field = b""
        self._value = b""
        self.headers: dict[bytes, bytes] = {}

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": lambda: self.queue.append(("end", b"")),
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": lambda: self.queue.append(("headers", dict(self.headers))),
        }

    def _part_begin(self) -> None:
        self.headers = {}

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        self.queue.append(("data", data[start:end]))

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self.headers[self._field.lower()] = self._value
        self._field = self._value = b""


async def receive_upload(request: Request, settings: Settings) -> Received:
    """Stream a multipart body's `file` part to a temporary file in the store.

    Refuses with 413 as soon as the file passes RECTRACK_MAX_ATTACHMENT_BYTES, and leaves
    nothing on disk then or on any other failure.
    """
    content_type = request.headers.get("content-type", "")
    kind, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UnprocessableEntity.for_field(
            "body", "send the file as multipart/form-data, in a part named `file`", "multipart"
        )
    limit = settings.max_attachment_bytes
    tmp_dir = storage_dir(settings) / "tmp"
    await asyncio.to_thread(tmp_dir.mkdir, parents=True, exist_ok=True)
    events = _Events()
    parser = python_multipart.MultipartParser(boundary, events.callbacks())  # type: ignore[arg-type]
    received = Received()
    hasher = hashlib.sha256()
    pending = bytearray()
    out = None
    part: str | None = None  # "file", a field's name, or None for a part to skip
    value = bytearray()
    parts = 0
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            for event, data in events.queue:
                if event == "headers":
                    part, value = _part_name(data, received), bytearray()
                    parts += 1
                    if parts > _MAX_FIELDS + 1:  # the file and its fields, named or not
                        raise UnprocessableEntity.for_field("body", "too many parts", "too_many")
                    if part == "file":
                        received.temp = tmp_dir / f"{uuid.uuid4().hex}.part"
                        out = await asyncio.to_thread(received.temp.open, "wb")
                elif event == "data" and part == "file":
                    received.size += len(data)
                    if received.size > limit:
                        raise PayloadTooLarge(
                            f"The file is larger than {limit} bytes, the most rectrack keeps "
                            "(RECTRACK_MAX_ATTACHMENT_BYTES).",
                            headers=_CLOSE,
                        )
                    hasher.update(data)
                    received.text.feed(data)
                    if len(received.head) < HEAD_BYTES:
                        received.head += data[: HEAD_BYTES - len(received.head)]
                    pending += data
                    if len(pending) >= _WRITE_CHUNK and out is not None:
                        await asyncio.to_thread(out.write, bytes(pending))
                        pending.clear()
                elif event == "data" and part is not None:
                    value += data
                    if len(value) > _MAX_FIELD_BYTES:
                        raise UnprocessableEntity.for_field(f"body.{part}", "too long", "too_long")
                elif event == "end" and part is not None and part != "file":
                    received.fields[part] = value.decode("utf-8", "replace")
            events.queue.clear()
        parser.finalize()
        if out is None:
            raise UnprocessableEntity.for_field("body.file", "no file was sent", "missing")
        if pending:
            await asyncio.to_thread(out.write, bytes(pending))
        received.text.feed(b"", final=True)
        received.digest = hasher.hexdigest()
        return received
    except ClientDisconnect as exc:
        received.discard()
        raise BadRequest("The upload was cut off before its end.") from exc
    except BaseException:
        received.discard()
        raise
    finally:
        if out is not None:
            await asyncio.to_thread(out.close)


def _part_name(headers: dict[bytes, bytes], received: Received) -> str | None:
    disposition, params = parse_options_header(headers.get(b"content-disposition", b""))
    if disposition != b"form-data":
        return None
    name = params.get(b"name", b"").decode("utf-8", "replace")
    if name == "file":
        if received.temp is not None:
            raise UnprocessableEntity.for_field("body.file", "send one file at a time", "many")
        received.filename = params.get(b"filename", b"").decode("utf-8", "replace")
        return "file"
    return name or None


def keep(settings: Settings, received: Received) -> Path:
    """Move a complete upload to its digest's name; the same content already there is kept.

    Answers the upload's marker: a file beside it that says "a row for this content is on its
    way". It is made before the file is looked for, and the caller deletes it once the row is
    committed or rolled back (forget_marker); until then, a removal (see
    app/attachments/service.py) leaves the content where it is."""
    assert received.temp is not None
    assert received.digest
    target = blob_path(settings, received.digest)
    target.parent.mkdir(parents=True, exist_ok=True)
    marker = target.with_name(f"{target.name}.{uuid.uuid4().hex}{_UPLOADING}")
    marker.touch()
    if target.exists():
        received.discard()
    else:
        os.replace(received.temp, target)
        received.temp = None
    return marker


def forget_marker(marker: Path) -> None:
    marker.unlink(missing_ok=True)


def move_aside(settings: Settings, digest: str) -> Path | None:
    """The first step of removing a file whose last row was deleted: out of its name,
    atomically, so that an upload of the same content that looks after this places its own
    copy. None if it is not there."""
    target = blob_path(settings, digest)
    aside = target.with_name(f"{target.name}.{uuid.uuid4().hex}.removing")
    try:
        os.rename(target, aside)
    except FileNotFoundError:
        return None
    return aside


def is_marked(settings: Settings, digest: str) -> bool:
    """Whether an upload of this content, not committed yet, found the file and kept no copy
    (see keep). A marker a crashed process left counts for a day, no longer."""
    target = blob_path(settings, digest)
    recent = time.time() - _MARKER_SECONDS
    return any(_mtime(m) > recent for m in target.parent.glob(f"{target.name}.*{_UPLOADING}"))


def put_back(settings: Settings, aside: Path, digest: str) -> None:
    os.replace(aside, blob_path(settings, digest))  # (a copy placed meanwhile: the same bytes)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def sweep_leftovers(settings: Settings, older_than_seconds: float = _MARKER_SECONDS) -> int:
    """What a crashed process left in the store, a day later: partial uploads and stale
    markers go; a file moved aside for removal and never finished is put back (a row may still
    use it: an unused file costs disk, a missing one loses evidence). Answers how many."""
    store = storage_dir(settings)
    cutoff = time.time() - older_than_seconds
    swept = 0
    stale = [*store.glob("tmp/*.part"), *store.glob(f"sha256/*/*{_UPLOADING}")]
    for path in stale:
        if _mtime(path) and _mtime(path) < cutoff:
            path.unlink(missing_ok=True)
            swept += 1
    for aside in store.glob("sha256/*/*.removing"):
        if _mtime(aside) and _mtime(aside) < cutoff:
            target = aside.with_name(aside.name.split(".", 1)[0])
            if target.exists():
                aside.unlink(missing_ok=True)
            else:
                os.replace(aside, target)
            swept += 1
    return swept
