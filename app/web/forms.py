"""Forms: the API's own schemas check them; problems come back next to their fields.

A page validates what a form sent with the same pydantic model the API takes, then calls the same
service; a ValidationError or an UnprocessableEntity becomes {field: Message}, shown beside the
field in the person's language while the form keeps what they typed.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.auth.service import Refused
from app.errors import (
    Conflict,
    FieldProblem,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnprocessableEntity,
)
from app.etag import check_if_match, etag_for
from app.web.i18n import N_, Message

FieldErrors = dict[str, Message]

DATE_FORMAT = Message(N_("Enter a date as YYYY-MM-DD, e.g. 2026-03-31."))
WRONG_PASSWORD = Message(N_("The current password is not right."))
WEAK_PASSWORD = Message(
    N_("This password is too short or too easy to guess: use at least 12 characters, "
       "for example several unrelated words.")
)  # fmt: skip
_PASSWORDS_DIFFER = Message(N_("The two new passwords are not the same."))
TOO_MANY = N_("Too many failed sign-ins. Wait %(minutes)s minutes before trying again.")

REQUIRED = Message(N_("This field is required."))
_BY_CODE = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "too_short": Message(N_("Choose at least one.")),
    "string_too_long": Message(N_("This is too long.")),
    "too_long": Message(N_("Too many are chosen.")),
    "date_from_datetime_parsing": DATE_FORMAT,
    "date_parsing": DATE_FORMAT,
    "date_type": DATE_FORMAT,
    "uuid_parsing": Message(N_("Choose one of the options.")),
    "enum": Message(N_("Choose one of the options.")),
    "literal_error": Message(N_("Choose one of the options.")),
    "int_parsing": Message(N_("Enter a whole number.")),
    "float_parsing": Message(N_("Enter a number.")),
    "string_pattern_mismatch": Message(N_("This is not in the expected form.")),
    "weak_password": WEAK_PASSWORD,
    "wrong_password": WRONG_PASSWORD,
    "unknown": Message(N_("This choice does not exist, or no longer exists.")),
    "mismatch": Message(N_("This focal point belongs to another institution.")),
    "future_date": Message(N_("This date is in the future.")),
}
_INVALID = Message(N_("This value is not valid."))
_DATES_REVERSED = Message(N_("The start date is after the due date."))


def _field(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc if not isinstance(part, int)]
    if parts and parts[0] in ("body", "query"):
        parts = parts[1:]
    return ".".join(parts)


def _message(code: str, text: str) -> Message:
    if "start_date is after due_date" in text:
        return _DATES_REVERSED
    if code == "value_error" and "ISO 8601 date" in text:
        return _BY_CODE["date_parsing"]
    return _BY_CODE.get(code, _INVALID)


def wait_message(retry_after: int) -> Message:
    return Message(TOO_MANY, {"minutes": max(1, -(-retry_after // 60))})


@dataclass(frozen=True)
class Refusal:
    """A refused password or code, as a page shows it: next to its field, with 422, or with 429
    and Retry-After while the login limits hold (then it was not even checked)."""

    errors: FieldErrors
    status_code: int
    headers: dict[str, str]


def refusal(refused: Refused, field: str, wrong: Message) -> Refusal:
    if refused.retry_after is None:
        return Refusal({field: wrong}, 422, {})
    wait = refused.retry_after
    return Refusal({field: wait_message(wait)}, 429, {"Retry-After": str(wait)})


def new_password_errors(errors: FieldErrors, values: dict[str, Any]) -> FieldErrors:
    """After the schema's check of a form with `new_password` and `repeat_password`: a new
    password the schema refused is named as the policy says, and the two are compared."""
    if "new_password" in errors and values.get("new_password"):
        errors["new_password"] = WEAK_PASSWORD
    if not errors and values.get("new_password") != values.get("repeat_password"):
        errors["repeat_password"] = _PASSWORDS_DIFFER
    return errors


def validation_errors(exc: ValidationError) -> FieldErrors:
    errors: FieldErrors = {}
    for error in exc.errors():
        name = _field(error["loc"])
        if not name and "start_date is after due_date" in error["msg"]:
            name = "start_date"
        errors.setdefault(name, _message(error["type"], error["msg"]))
    return errors


def problem_errors(problems: list[FieldProblem] | None) -> FieldErrors:
    errors: FieldErrors = {}
    for problem in problems or []:
        name = _field(problem.field.split("."))
        errors.setdefault(name, _message(problem.code, problem.message))
    return errors


def unprocessable_errors(exc: UnprocessableEntity) -> FieldErrors:
    return problem_errors(exc.errors) or {"": _INVALID}


def form_values(form: FormData, *, lists: Iterable[str] = ()) -> dict[str, Any]:
    """The fields of a form as a dict for a schema: empty fields left out (a form cannot send
    null), the `lists` fields as lists of their values, the CSRF token dropped."""
    many = set(lists)
    values: dict[str, Any] = {}
    for key in form:
        if key == "csrf_token":
            continue
        if key in many:
            values[key] = [v for v in form.getlist(key) if isinstance(v, str) and v != ""]
            continue
        value = form.get(key)
        if isinstance(value, str) and value.strip() != "":
            # Passwords are taken as typed; everything else without stray spaces.
            values[key] = value if "password" in key else value.strip()
    return values


def check_version(sent: Any, current: int) -> None:
    """A form's hidden `version` (the one it showed) as the API's If-Match: PreconditionFailed
    when someone saved meanwhile, PreconditionRequired when it is missing."""
    text = str(sent or "")
    check_if_match(etag_for(int(text)) if text.isdigit() else None, etag_for(current))


STALE = Message(
    N_("Someone else changed this after you opened the page. Nothing was saved. The current "
       "values are shown below; make your change again if it is still needed.")
)  # fmt: skip
_CONFLICT = Message(N_("This conflicts with the current state. Nothing was saved."))


@dataclass
class Outcome:
    """What came of a form's service call: nothing wrong, problems next to fields, or a
    problem with the whole form (a stale version, a conflict)."""

    errors: FieldErrors = field(default_factory=dict)
    problem: Message | None = None

    @property
    def failed(self) -> bool:
        return bool(self.errors) or self.problem is not None


async def attempt(
    work: Callable[[], Awaitable[Any]], *, conflict: Message = _CONFLICT, stale: Message = STALE
) -> Outcome:
    """Run `work` (schema checks and service calls); its refusals become an Outcome. The
    caller rolls back when it failed."""
    try:
        await work()
    except (PreconditionFailed, PreconditionRequired):
        return Outcome(problem=stale)
    except ValidationError as exc:
        return Outcome(errors=validation_errors(exc))
    except UnprocessableEntity as exc:
        return Outcome(errors=unprocessable_errors(exc))
    except Conflict:
        return Outcome(problem=conflict)
    return Outcome()


def page_uuid(value: str) -> uuid.UUID:
    """An id from a page's path; a malformed one is a page that does not exist."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"There is nothing at {value}.") from exc


def sent_uuid(values: dict[str, Any], name: str) -> uuid.UUID | None:
    """An optional id a form sent in a hidden field (which page it was on); None if malformed."""
    try:
        return uuid.UUID(str(values[name])) if values.get(name) else None
    except ValueError:
        return None
