"""The list page's query: the API's filter parameters, parsed by the API's own types and checks.

A page cannot answer a bad filter value with a bare 422: the list comes back with the problem
next to its filter. So the query string is validated with a model built from the signature of
`recommendation_filters` (the API's dependency: same names, same types), and then passed to it.
"""

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import QueryParams

from app.errors import UnprocessableEntity
from app.pagination import PageParams
from app.recommendations.filters import RecommendationFilters, recommendation_filters
from app.recommendations.service import SortName
from app.web.forms import FieldErrors, problem_errors, validation_errors

PAGE_SIZES = (25, 50, 100)
DEFAULT_SORT: SortName = "-publication_date"
SORTS: tuple[SortName, ...] = typing.get_args(SortName)
_sort_adapter: TypeAdapter[SortName] = TypeAdapter(SortName)


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in get_args(annotation))


def query_model(
    dependency: Callable[..., Any], name: str
) -> tuple[type[BaseModel], frozenset[str]]:
    """A model of a filter dependency's query parameters (all but its session), and the names
    of those that take several values: for callers that are not FastAPI (pages, the CLI)."""
    hints = typing.get_type_hints(dependency, include_extras=True)
    fields: dict[str, Any] = {}
    for parameter_name, parameter in inspect.signature(dependency).parameters.items():
        if parameter_name != "session":
            fields[parameter_name] = (hints[parameter_name], parameter.default)
    model = create_model(name, __config__=ConfigDict(extra="ignore"), **fields)
    return model, frozenset(name for name in fields if _is_list(hints[name]))


FilterQuery, LIST_PARAMETERS = query_model(recommendation_filters, "RecommendationListQuery")


@dataclass
class ListQuery:
    filters: RecommendationFilters
    sort: SortName
    page: PageParams
    # What the person asked for, to fill the form in again: name → values.
    chosen: dict[str, list[str]] = field(default_factory=dict)
    errors: FieldErrors = field(default_factory=dict)

    @property
    def terms(self) -> list[str]:
        return list(self.filters.search_terms)


def _chosen(params: QueryParams) -> dict[str, list[str]]:
    chosen: dict[str, list[str]] = {}
    for name in FilterQuery.model_fields:
        values = [v for v in params.getlist(name) if v.strip() != ""]
        if values:
            chosen[name] = values if name in LIST_PARAMETERS else values[:1]
    return chosen


async def parse_list_query(session: AsyncSession, params: QueryParams) -> ListQuery:
    chosen = _chosen(params)
    raw = {
        name: values if name in LIST_PARAMETERS else values[0] for name, values in chosen.items()
    }
    errors: FieldErrors = {}
    try:
        parsed = FilterQuery.model_validate(raw)
    except ValidationError as exc:
        errors = validation_errors(exc)
        parsed = FilterQuery.model_validate({k: v for k, v in raw.items() if k not in errors})
    try:
        filters = await recommendation_filters(session, **dict(parsed))
    except UnprocessableEntity as exc:
        errors.update(problem_errors(exc.errors))
        kept = {k: v for k, v in dict(parsed).items() if k not in errors}
        filters = await recommendation_filters(session, **kept)
    try:
        sort = _sort_adapter.validate_python(params.get("sort") or DEFAULT_SORT)
    except ValidationError:
        sort = DEFAULT_SORT
    limit = int(params["limit"]) if params.get("limit", "").isdigit() else PAGE_SIZES[0]
    limit = limit if limit in PAGE_SIZES else PAGE_SIZES[0]
    cursor = params.get("cursor") or None
    page = PageParams(limit=limit, cursor=cursor, include_total=False)
    return ListQuery(filters, sort, page, chosen, errors)
