"""Date types for request bodies and query strings that accept ISO 8601 and nothing else.

Pydantic reads a number, or a string of digits, as a Unix timestamp for a date or a date-time:
`"target_date": 0` or `?published_to=0` would mean 1 January 1970. A client that sends those
has a bug, and answering as if it meant 1970 would hide it. Dates travel as ISO 8601 text, as the
OpenAPI document says.
"""

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _shaped(pattern: re.Pattern[str], example: str) -> BeforeValidator:
    def check(value: object) -> object:
        if isinstance(value, dt.date) or (isinstance(value, str) and pattern.fullmatch(value)):
            return value
        raise ValueError(f"expected an ISO 8601 {example}")

    return BeforeValidator(check)


IsoDate = Annotated[dt.date, _shaped(_DATE, "date such as 2026-03-31")]
IsoDateTime = Annotated[
    AwareDatetime, _shaped(_DATE_TIME, "date-time with its offset, such as 2026-03-31T09:00:00Z")
]


class RequestBody(BaseModel):
    """The base of every JSON request body.

    Unknown fields are refused, so that a misspelt field is an error rather than ignored. So is
    text holding U+0000: PostgreSQL cannot store it, and no human-rights text needs it.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul_characters(cls, data: Any) -> Any:
        where = nul_location(data, ())
        if where is not None:
            place = ".".join(str(part) for part in where) or "the body"
            raise PydanticCustomError(
                "nul_character",
                "text may not contain the NUL character (U+0000); found in {place}",
                {"place": place},
            )
        return data


def nul_location(value: object, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                return (*path, key)
            found = nul_location(item, (*path, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_location(item, (*path, index))
            if found is not None:
                return found
    return None
