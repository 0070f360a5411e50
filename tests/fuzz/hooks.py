"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by test_schemathesis.py).

Random text almost never names a mechanism or a country that exists, so nearly every generated
recommendation was refused (422) and the stateful phase never got past creating one. Half of
them are given real reference data, so that sequences go on to read, edit, archive, report
progress and read the history of what they created.
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
def map_body(context: Any, body: Any) -> Any:
    operation = context.operation
    creates_recommendation = (
        operation is not None
        and operation.method.upper() == "POST"
        and operation.path.endswith("/recommendations")
    )
    if creates_recommendation and isinstance(body, dict) and len(str(body)) % 2 == 0:
        return {**body, **_REAL}
    return body
