"""For pages that list records a page at a time and edit them with the version they showed."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import ValidationError

from app.errors import BadRequest, UnprocessableEntity
from app.etag import check_if_match, etag_for
from app.pagination import PageParams
from app.web.forms import FieldErrors, unprocessable_errors, validation_errors
from app.web.i18n import N_, Message

T = TypeVar("T")
STALE = Message(
    N_("Someone else changed this after you opened the page. Nothing was saved. The current "
       "values are shown below; make your change again if it is still needed.")
)  # fmt: skip


async def keyset_page(
    fetch: Callable[[PageParams], Awaitable[T]], cursor: str | None, limit: int
) -> T:
    """A page of a service's keyset listing; a mangled cursor starts again at the first page."""
    try:
        return await fetch(PageParams(limit=limit, cursor=cursor or None, include_total=False))
    except BadRequest:
        return await fetch(PageParams(limit=limit, cursor=None, include_total=False))


def check_form_version(values: dict[str, Any], current: int) -> None:
    """The hidden `version` a form was shown with is the page's If-Match: PreconditionFailed
    when someone else saved meanwhile, PreconditionRequired when it is missing."""
    sent = str(values.get("version", ""))
    check_if_match(etag_for(int(sent)) if sent.isdigit() else None, etag_for(current))


def form_problems(exc: ValidationError | UnprocessableEntity) -> FieldErrors:
    """What the schema or the service refused, by field."""
    if isinstance(exc, ValidationError):
        return validation_errors(exc)
    return unprocessable_errors(exc)
