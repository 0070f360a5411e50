"""Answers for refused credentials. Returned rather than raised: the failure just recorded must
be committed with the request, and raising would roll it back."""

from fastapi.responses import JSONResponse

from app.auth.service import Refused
from app.errors import FieldProblem, TooManyRequests, UnprocessableEntity, problem_response


def too_many_failures(retry_after: int) -> JSONResponse:
    return problem_response(
        429,
        TooManyRequests.title,
        "Too many failed attempts. Wait before trying again.",
        slug=TooManyRequests.slug,
        headers={"Retry-After": str(retry_after)},
    )


def wrong_secret(refused: Refused, field: str, message: str, code: str) -> JSONResponse:
    """A 422 naming the field whose password or code was wrong, or a 429 while limited."""
    if refused.retry_after is not None:
        return too_many_failures(refused.retry_after)
    return problem_response(
        422,
        UnprocessableEntity.title,
        message,
        slug=UnprocessableEntity.slug,
        errors=[FieldProblem(field=field, message=message, code=code)],
    )
