"""A per-process bound on documents being made at once (report renders, XLSX exports): each
holds a worker thread and memory for seconds, so a burst of them could starve everything else.
When every slot is taken the request is answered 503 with Retry-After at once, never queued."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from app.errors import ServiceUnavailable

RETRY_AFTER_SECONDS = 5


class DocumentSlots:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.busy = 0  # only the event loop's thread touches it: no lock needed

    def take(self) -> None:
        """Take a slot, or refuse the request (503) when none is free."""
        if self.busy >= self.limit:
            raise ServiceUnavailable(
                "Too many documents are being made at once; retry shortly.",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        self.busy += 1

    def give_back(self) -> None:
        self.busy -= 1

    @contextmanager
    def held(self) -> Iterator[None]:
        """A slot for a document made before the response (a workbook, a report)."""
        self.take()
        try:
            yield
        finally:
            self.give_back()


class SlotHoldingResponse(StreamingResponse):
    """A streamed document that gives its slot (taken before) back when the response ends, in
    whatever way: sent, failed, or dropped by the client before its first byte. (A generator's
    own `finally` does not run when it was never started, so the response holds the slot.)"""

    def __init__(self, content: Any, slots: DocumentSlots, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.slots = slots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.slots.give_back()


def document_slots(request: Request) -> DocumentSlots:
    slots: DocumentSlots = request.app.state.document_slots
    return slots


DocumentSlotsDep = Annotated[DocumentSlots, Depends(document_slots)]
