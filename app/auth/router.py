"""POST /auth/token: the OAuth2 password flow (DESIGN §6), with an optional second factor."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from app.auth import service
from app.auth.dependencies import client_address
from app.auth.responses import too_many_failures
from app.auth.security import issue_access_token
from app.db import SessionDep
from app.errors import Unauthorized, problem_response, problem_responses

router = APIRouter(prefix="/auth", tags=["auth"])
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
REFUSED = "The email address, the password or the code is not right."
CODE_NEEDED = (
    "This account signs in with a second factor: send the six-digit code from the "
    "authenticator app (or a recovery code) in the `totp` form field, with the email and password."
)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    must_enrol_second_factor: bool = Field(
        default=False,
        description="RECTRACK_REQUIRE_2FA asks this account for a second factor and it has none: "
        "the token serves only to enrol one (POST /users/me/two-factor); then sign in again.",
    )


@dataclass(frozen=True)
class SignInForm:
    username: str
    password: str
    totp: str | None


PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]
TotpField = Annotated[
    str | None,
    Form(
        max_length=64,
        description="For an account with a second factor: the six-digit code from its "
        "authenticator app, or one of its recovery codes.",
    ),
]


def _sign_in_form(form: PasswordForm, totp: TotpField = None) -> SignInForm:
    """The form, refused with 422 if a field holds U+0000, as JSON bodies are (RequestBody):
    PostgreSQL cannot take it, even as a lookup key (found by fuzzing)."""
    fields = {"username": form.username, "password": form.password, "totp": totp or ""}
    for name, value in fields.items():
        if "\x00" in value:
            raise RequestValidationError([{
                "type": "nul_character", "loc": ("body", name), "input": None,
                "msg": "text may not contain the NUL character (U+0000)",
            }])  # fmt: skip
    return SignInForm(form.username, form.password, totp.strip() if totp else None)


@router.post(
    "/token",
    summary="Sign in with email, password and, if the account has one, a second-factor code; "
    "answers a short-lived bearer token",
    response_model=AccessToken,
    responses=problem_responses(400, 401, 422, 429, 503),
)
async def sign_in(
    session: SessionDep, request: Request, form: Annotated[SignInForm, Depends(_sign_in_form)]
) -> Any:
    settings = request.app.state.settings
    outcome = await service.authenticate(
        session, form.username, form.password, client_address(request), settings, code=form.totp
    )
    # Returned, not raised: a failure recorded must be committed with the request.
    match outcome:
        case service.SignedIn(user=user, second_factor=second_factor):
            token = issue_access_token(
                user.id, user.session_version, settings, second_factor=second_factor
            )
            return AccessToken(
                access_token=token,
                expires_in=settings.access_token_minutes * 60,
                must_enrol_second_factor=service.must_enrol(user, second_factor, settings),
            )
        case service.SecondFactorRequired():
            return problem_response(
                401, "Second factor required", CODE_NEEDED, slug="second-factor-required",
                headers=_CHALLENGE,
            )  # fmt: skip
        case service.Refused(retry_after=int(wait)):
            return too_many_failures(wait)
        case _:
            return problem_response(
                401, Unauthorized.title, REFUSED, slug=Unauthorized.slug, headers=_CHALLENGE
            )
