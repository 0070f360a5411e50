"""POST /auth/token: the OAuth2 password flow (DESIGN §6)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from app.auth import service
from app.auth.dependencies import client_address
from app.auth.security import issue_access_token
from app.db import SessionDep
from app.errors import Unauthorized, problem_response, problem_responses

router = APIRouter(prefix="/auth", tags=["auth"])


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


PasswordForm = Annotated[OAuth2PasswordRequestForm, Depends()]


def _password_form(form: PasswordForm) -> OAuth2PasswordRequestForm:
    """The form, refused with 422 if a field holds U+0000, as JSON bodies are (RequestBody):
    PostgreSQL cannot take it, even as a lookup key (found by fuzzing)."""
    fields = {"username": form.username, "password": form.password}
    for name, value in fields.items():
        if "\x00" in value:
            raise RequestValidationError([{
                "type": "nul_character", "loc": ("body", name), "input": None,
                "msg": "text may not contain the NUL character (U+0000)",
            }])  # fmt: skip
    return form


@router.post(
    "/token",
    summary="Sign in with email and password; answers a short-lived bearer token",
    response_model=AccessToken,
    responses=problem_responses(400, 401, 422, 429),
)
async def sign_in(
    session: SessionDep,
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends(_password_form)],
) -> Any:
    settings = request.app.state.settings
    user = await service.authenticate(
        session, form.username, form.password, client_address(request), settings
    )
    if user is None:
        # Returned, not raised: the failure record must be committed with the request.
        return problem_response(
            401,
            Unauthorized.title,
            "The email address or the password is not right.",
            slug=Unauthorized.slug,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return AccessToken(
        access_token=issue_access_token(user.id, user.session_version, settings),
        expires_in=settings.access_token_minutes * 60,
    )
