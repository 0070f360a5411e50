"""The published OpenAPI document: problem+json for every error, one shape for validation."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.errors import PROBLEM_MEDIA_TYPE

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _problem_content(response: dict[str, Any]) -> None:
    content = response.setdefault("content", {})
    content.pop("application/json", None)
    content[PROBLEM_MEDIA_TYPE] = {"schema": _PROBLEM_REF}


def _without_null(parameter: dict[str, Any]) -> None:
    """A query or header value cannot be null, only absent: `X | None` is documented as `X`."""
    schema = parameter.get("schema", {})
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [option for option in options if option != {"type": "null"}]
        del schema["anyOf"]
        schema.update(rest[0] if len(rest) == 1 else {"anyOf": rest})


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                _without_null(parameter)
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    _problem_content(response)
                    if status == "422":
                        response["description"] = "Invalid input"
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
