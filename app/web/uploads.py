"""Pages that take a file: who may send it is decided before a byte of it is read."""

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from app.errors import AppError


class RefusedBeforeBody(APIRoute):
    """The upload's route: its dependencies (session, role) run before the body is read, since
    the handler reads the form itself; a refusal closes the connection so that the rest of the
    file is never read."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def closing(request: Request) -> Response:
            try:
                return await handler(request)
            except AppError as refused:
                refused.headers = {**(refused.headers or {}), "Connection": "close"}
                raise

        return closing
