"""A per-process bound on documents being made at once (report renders, XLSX exports): each
holds a worker thread and memory for seconds, so a burst of them could starve everything else.
When every slot is taken the request is answered 503 with Retry-After at once, never queued."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

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

    async def held_while(self, stream: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """`stream`, giving the slot (taken before) back when it ends, fails or is dropped."""
        try:
            async for chunk in stream:
                yield chunk
        finally:
            self.give_back()


def document_slots(request: Request) -> DocumentSlots:
    slots: DocumentSlots = request.app.state.document_slots
    return slots


DocumentSlotsDep = Annotated[DocumentSlots, Depends(document_slots)]
