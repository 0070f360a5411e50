"""Authentication and permission checks as dependencies: the one place access is decided."""

from collections.abc import Iterator
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer

from app.auth import service
from app.auth.permissions import ENROLMENT_ONLY, Permission
from app.auth.principal import Principal
from app.auth.security import API_TOKEN_PREFIX
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

TOKEN_URL = "/api/v1/auth/token"
bearer_token = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_CHALLENGE = {"WWW-Authenticate": "Bearer"}
ENROL_FIRST = (
    "Your role signs in with a second factor: enrol one (POST /api/v1/users/me/two-factor, "
    "signed in with your password), then sign in again with a code."
)


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def current_principal(
    request: Request, session: SessionDep, token: Annotated[str | None, Depends(bearer_token)]
) -> Principal | None:
    """The caller, or None when anonymous. Credentials that do not check out are a 401, never
    a silent fall back to anonymous access: that holds for another scheme (Basic, Digest…) or
    an empty one too, which the OAuth2 helper would read as no credentials at all."""
    if token is None:
        if request.headers.get("authorization") is not None:
            raise Unauthorized(
                "Send credentials as `Authorization: Bearer <token>`; no other scheme is taken.",
                headers=_CHALLENGE,
            )
        return None
    client = client_address(request)
    if token.startswith(API_TOKEN_PREFIX):
        principal = await service.principal_from_api_token(
            session, token, client, request.app.state.settings
        )
    else:
        principal = await service.principal_from_access_token(
            session, token, client, request.app.state.settings
        )
    if principal is None:
        raise Unauthorized(
            "The credentials are invalid, expired or revoked, or the account is deactivated.",
            headers=_CHALLENGE,
        )
    # Reads need no permission, yet a signed-in caller sees more than the public (user ids,
    # drafts): an account that must enrol a second factor reaches the enrolment routes only.
    if principal.must_enrol and not _is_enrolment_route(request.scope.get("route")):
        raise Forbidden(ENROL_FIRST)
    return principal


def _is_enrolment_route(route: object) -> bool:
    """Whether every permission the route checks is one an account may use before enrolling.
    (Asked for the rare account that must enrol only, so not cached.)"""
    if not isinstance(route, APIRoute):
        return False
    needed = set(permissions_in(route.dependant))
    return bool(needed) and needed <= ENROLMENT_ONLY


CurrentPrincipal = Annotated[Principal | None, Depends(current_principal)]


def authorize(principal: Principal | None, permission: Permission) -> Principal:
    """The caller, if it may do what `permission` covers; else 401 or 403."""
    if principal is None:
        raise Unauthorized("Sign in or send an API token to do this.", headers=_CHALLENGE)
    if not principal.can(permission):
        if principal.must_enrol:
            raise Forbidden(ENROL_FIRST)
        raise Forbidden(f"Your role ({principal.role}) does not allow this ({permission}).")
    return principal


@cache
def requires(permission: Permission) -> Any:
    """A dependency that lets the call through only with `permission`, and yields the caller."""

    async def check(principal: CurrentPrincipal) -> Principal:
        return authorize(principal, permission)

    check.__name__ = f"requires_{permission}"
    check.required_permission = permission  # type: ignore[attr-defined]
    return Depends(check)


def required_permission(call: Any) -> Permission | None:
    """The permission a dependency created by `requires` checks, for the permission matrix."""
    permission = getattr(call, "required_permission", None)
    return permission if isinstance(permission, Permission) else None


def permissions_in(dependant: Dependant) -> Iterator[Permission]:
    """Every permission a route's dependencies check with `requires`."""
    for sub in dependant.dependencies:
        permission = required_permission(sub.call)
        if permission is not None:
            yield permission
        yield from permissions_in(sub)
