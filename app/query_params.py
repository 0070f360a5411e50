"""Unknown query parameters are refused (DESIGN §7), naming them and the likely intended name.

A misspelt filter (`?sdg=16` for `?sdg_goal=16`) used to be ignored, so a report answered the
whole corpus without anyone noticing. What each operation accepts is what it declares, the same
list the OpenAPI document publishes; `lang` is accepted everywhere. The list is computed once per
route, when the app is built; the workspace's pages (not in the document) keep their own rules.
"""

import difflib
from collections.abc import Iterable

from fastapi import Depends, Request
from fastapi.routing import APIRoute

from app.dependants import query_parameter_names
from app.errors import FieldProblem, UnprocessableEntity

ACCEPTED_EVERYWHERE = frozenset({"lang"})


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    return frozenset(query_parameter_names(route)) | ACCEPTED_EVERYWHERE


def closest(name: str, known: Iterable[str]) -> str | None:
    """The declared name a client most likely meant: one it begins or ends (`sdg`, `goal` for
    `sdg_goal`), else a near spelling."""
    ordered = sorted(known)
    by_part = [k for k in ordered if k.startswith(name) or k.endswith(name) or name.startswith(k)]
    pool = by_part or ordered
    cutoff = 0.0 if by_part else 0.7
    matches = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    return matches[0] if matches else None


def unknown_parameter_message(name: str, known: frozenset[str]) -> str:
    message = f"unknown parameter `{name}`"
    suggestion = closest(name, known - ACCEPTED_EVERYWHERE)
    return f"{message}; did you mean `{suggestion}`?" if suggestion else message


_known: dict[int, tuple[APIRoute, frozenset[str]]] = {}


def known_query_parameters(route: APIRoute) -> frozenset[str]:
    """Computed on a route's first request, then kept (routes live as long as the process)."""
    cached = _known.get(id(route))
    if cached is None or cached[0] is not route:
        cached = _known[id(route)] = (route, declared_query_parameters(route))
    return cached[1]


async def refuse_unknown_query_parameters(request: Request) -> None:
    """A router dependency: 422 for a query parameter the operation does not declare."""
    route = request.scope.get("route")
    if not request.query_params or not isinstance(route, APIRoute):
        return
    known = known_query_parameters(route)
    unknown = sorted({name for name in request.query_params if name not in known})
    if not unknown:
        return
    errors = [
        FieldProblem(
            field=f"query.{name}",
            message=unknown_parameter_message(name, known),
            code="unknown_parameter",
        )
        for name in unknown
    ]
    detail = "; ".join(e.message for e in errors)
    stop = "" if detail.endswith("?") else "."
    raise UnprocessableEntity(
        f"{detail[0].upper()}{detail[1:]}{stop} Accepted here: {', '.join(sorted(known))}.",
        errors=errors,
    )


KnownQueryOnly = Depends(refuse_unknown_query_parameters)
