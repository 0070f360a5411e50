"""A route class that checks the caller before one byte of the request body is read.

FastAPI reads a route's body (for an upload: the whole file, to a temporary file) before it runs
the route's dependencies, so an anonymous caller could fill the disk before the 401. Routes of
this class check the credentials and the permission their `requires(...)` names first, and
refuse with the connection closed, so that the server does not read the rest of the body.
"""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from app.auth.dependencies import authorize, bearer_token, current_principal, permissions_in
from app.errors import AppError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class CheckedBeforeBody(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        permissions = list(permissions_in(self.dependant))
        if self.body_field is None:
            return handler  # the dependencies run before anything is read anyway

        async def checked(request: Request) -> Response:
            try:
                sessionmaker = request.app.state.sessionmaker
                async with sessionmaker() as session:
                    token = await bearer_token(request)
                    principal = await current_principal(request, session, token)
                    for permission in permissions:
                        authorize(principal, permission)
            except AppError as refused:
                refused.headers = {**(refused.headers or {}), "Connection": "close"}
                raise
            return await handler(request)

        return checked
