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


def _link_created_records(paths: dict[str, Any]) -> None:
    """OpenAPI links from each create to the operations on what it created.

    They tell clients (and Schemathesis's stateful phase) that the `id` a 201 or 202 returns is
    the `{…_id}` of `/api/v1/<collection>/{…_id}…`, and that its ETag is the If-Match those
    operations want. `<collection>` is the create path's last segment, so that
    `POST /recommendations/{id}/progress-updates` leads to `/progress-updates/{update_id}`.
    """
    for create_path, item in paths.items():
        responses = item.get("post", {}).get("responses", {})
        created = responses.get("201") or responses.get("202")
        if created is None:
            continue
        collection = "/api/v1/" + create_path.rsplit("/", 1)[1]
        for path, operations in paths.items():
            rest = path.removeprefix(collection + "/")
            if rest == path or not rest.startswith("{"):
                continue
            name = rest[1 : rest.index("}")]
            for operation in operations.values():
                parameters = {name: "$response.body#/id"}
                if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
                    parameters["If-Match"] = "$response.header.ETag"
                target = operation["operationId"]
                link = {"operationId": target, "parameters": parameters}
                created.setdefault("links", {})[target] = link


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
    _link_created_records(schema.get("paths", {}))
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    app.openapi_schema = schema
    return schema
