"""Entity tags for optimistic concurrency: every single resource carries one."""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol, TypeVar

from fastapi import Depends, Header

from app.errors import PreconditionFailed, PreconditionRequired


class Versioned(Protocol):
    version: int


V = TypeVar("V", bound=Versioned)


def etag_for(version: int) -> str:
    return f'"{version}"'


def check_if_match(if_match: str | None, current: str) -> None:
    """428 without If-Match; 412 when it names none of the current representation's tags."""
    if if_match is None or not if_match.strip():
        raise PreconditionRequired(
            "Send If-Match with the ETag you last read, so that changes made since are not lost."
        )
    tags = [_quoted(tag.strip()) for tag in if_match.split(",")]
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        "The resource changed since you read it (ETag mismatch). Read it again and retry."
    )


def _quoted(tag: str) -> str:
    """`2` is taken as `"2"`: clients and proxies drop the quotes often enough, and telling them
    the resource changed would be false. A weak tag (`W/"2"`) still never matches."""
    if tag == "*" or tag.startswith(('"', "W/")):
        return tag
    return f'"{tag}"'


def if_matched(fetch: Callable[..., Coroutine[Any, Any, V]]) -> Any:
    """A dependency giving what `fetch` gives, once If-Match names its current ETag."""

    async def check(
        resource: Annotated[V, Depends(fetch)],
        if_match: Annotated[
            str | None, Header(description="The ETag last read; required to change the resource.")
        ] = None,
    ) -> V:
        check_if_match(if_match, etag_for(resource.version))
        return resource

    return Depends(check)
