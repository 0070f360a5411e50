"""Crafted cursors: whatever a cursor decodes to, a bad one is a 400 problem, never a 500.

A cursor is opaque base64 of JSON, so anyone can write one: numbers too large for any column
(`1e400`, `10**30`), text holding NUL (which PostgreSQL cannot compare), values of the wrong type.
"""

import base64
import uuid
from typing import Any

import pytest
from httpx import AsyncClient

from app.errors import BadRequest
from app.pagination import KeysetOrder, decode_cursor
from tests.problems import assert_problem
from tests.recommendations.factories import create_recommendation

# Values no cursor column accepts, as JSON written by hand: json.dumps cannot write 1e400.
CRAFTED_VALUES = [
    "1e400",
    "-1e400",
    str(10**30),
    str(-(10**30)),
    str(2**63),
    "1.5",
    "true",
    "null",
    "[]",
    "{}",
    '"a\\u0000b"',
]


def craft(order: str, *values: str) -> str:
    raw = f'{{"o":"{order}","v":[{",".join(values)}]}}'
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _orders() -> list[KeysetOrder[Any]]:
    from app.actions.service import BY_DUE_DATE
    from app.api_tokens.service import NEWEST_FIRST as TOKENS
    from app.assignments.service import BY_CREATION
    from app.audit.service import NEWEST_FIRST as AUDIT
    from app.clusters.service import BY_NAME as CLUSTERS
    from app.imports.service import NEWEST_FIRST as IMPORTS
    from app.indicators.service import BY_DATE, BY_NAME
    from app.institutions.service import BY_NAME as INSTITUTIONS
    from app.progress_updates.service import NEWEST_FIRST as UPDATES
    from app.recommendations.service import SortName, keyset_order
    from app.reference import service as reference
    from app.users.service import BY_EMAIL

    fixed: list[KeysetOrder[Any]] = [
        BY_DUE_DATE, TOKENS, BY_CREATION, AUDIT, CLUSTERS, IMPORTS, BY_DATE, BY_NAME,
        INSTITUTIONS, UPDATES, BY_EMAIL, reference.GOALS_BY_NUMBER, reference.TARGETS_IN_ORDER,
        reference.MECHANISMS_BY_CODE, reference.COUNTRIES_BY_ISO3,
    ]  # fmt: skip
    return [*fixed, *(keyset_order(sort) for sort in SortName.__args__)]  # type: ignore[attr-defined]


def test_every_ordering_refuses_every_crafted_value() -> None:
    valid_uuid = f'"{uuid.uuid4()}"'
    for order in _orders():
        for value in CRAFTED_VALUES:
            # In first place, and after a value the first column accepts when there is one.
            candidates = [[value] * len(order.columns)]
            if len(order.columns) == 2:
                candidates.append([value, valid_uuid])
            for values in candidates:
                with pytest.raises(BadRequest):
                    decode_cursor(craft(order.name, *values), order)


@pytest.mark.parametrize(
    ("path", "params", "order", "values"),
    [
        ("/recommendations", {"sort": "priority"}, "priority", [str(10**30), "null"]),
        ("/recommendations", {"sort": "priority"}, "priority", ["1e400", "null"]),
        ("/recommendations", {"sort": "symbol"}, "symbol", ['"A\\u0000"', f'"{uuid.uuid4()}"']),
        ("/recommendations", {"sort": "symbol"}, "symbol", ['"A"', "5"]),
        ("/recommendations", {}, "-publication_date", ['"2020-01-01"', "[1]"]),
        ("/audit", {}, "audit", [str(10**30)]),
        ("/audit", {}, "audit", ["1e400"]),
        ("/sdgs", {}, "goals", [str(2**40)]),
        ("/mechanisms", {}, "code", ['"C\\u0000"']),
        ("/users", {}, "email", ['"a\\u0000@example.org"']),
        ("/institutions", {}, "institutions", ['"x"', "1e400"]),
        ("/imports", {}, "imports", ['"2020-01-01T00:00:00"', f'"{uuid.uuid4()}"']),
    ],
)
async def test_crafted_cursors_are_400_on_every_backend(
    admin: AsyncClient, path: str, params: dict[str, str], order: str, values: list[str]
) -> None:
    await create_recommendation(admin)
    response = await admin.get(path, params={**params, "cursor": craft(order, *values)})
    assert_problem(response, 400)
