"""What an operation declares, read from FastAPI's dependency tree (built once per route)."""

from collections.abc import Iterator

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for dependency in dependant.dependencies:
        yield from _walk(dependency)


def query_parameter_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    for dependant in _walk(route.dependant):
        for field in dependant.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                # A model of query parameters: each of its fields is one.
                names.update(f.alias or name for name, f in annotation.model_fields.items())
            else:
                names.add(field.alias)
    return names


def form_fields(route: APIRoute) -> tuple[list[str], bool]:
    """The form fields an operation takes (none if it takes JSON), and whether one is a file."""
    from fastapi import params

    fields = [field for dependant in _walk(route.dependant) for field in dependant.body_params]
    if not any(isinstance(f.field_info, params.Form) for f in fields):
        return [], False
    names = list(dict.fromkeys(f.alias for f in fields))
    return names, any(isinstance(f.field_info, params.File) for f in fields)
