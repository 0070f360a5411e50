"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_schemathesis.py).

Random text almost never names a mechanism or a country that exists, so nearly every generated
recommendation was refused (422) and the stateful phase never got past creating one. Half of
the valid ones are given real reference data, so that sequences go on to read, edit, archive,
report progress and read the history of what they created.

Only valid (positive) cases: a negative case whose one invalid part was, say, an item of
`affected_persons` would be made valid by this, accepted, and reported as "schema-violating
request accepted" (it was, once: CI of 2026-11-21, seed 119766192627382471373768470303021776367).
"""

from typing import Any

import schemathesis

_REAL = {
    "mechanism": "UPR",
    "countries": ["KEN"],
    "themes": [],
    "affected_persons": [],
    "sdg_targets": ["16.3"],
}


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    operation = case.operation
    creates_recommendation = operation.method.upper() == "POST" and operation.path.endswith(
        "/recommendations"
    )
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    body = case.body
    if creates_recommendation and not negative and isinstance(body, dict) and len(str(body)) % 2:
        case.body = {**body, **_REAL}
