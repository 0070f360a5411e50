"""The permission matrix, derived from the routes: which caller may call which operation.

docs/permissions.md shows it (regenerate with `rectrack permissions --write`); a test keeps the two
equal, and another calls every operation as every kind of caller to check the behaviour.
"""

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from app.auth.dependencies import permissions_in
from app.auth.permissions import ROLE_PERMISSIONS, SIGNED_IN_ONLY, Permission
from app.models.user import Role

CALLERS = (
    "anonymous",
    "viewer",
    "focal_point",
    "coordinator",
    "admin",
    "read token",
    "write token",
    "admin write token",
)
WRITE_TOKEN_OWNER = Role.coordinator


@dataclass(frozen=True)
class MatrixRow:
    method: str
    path: str
    permission: Permission | None
    allowed: dict[str, bool]

    @property
    def operation(self) -> str:
        return f"{self.method} {self.path}"


def _allowed(permission: Permission | None) -> dict[str, bool]:
    if permission is None:
        return dict.fromkeys(CALLERS, True)
    by_role = {role.value: permission in ROLE_PERMISSIONS[role] for role in Role}
    token_ok = permission not in SIGNED_IN_ONLY
    return {
        "anonymous": False,
        **by_role,
        "read token": token_ok and permission in ROLE_PERMISSIONS[Role.viewer],
        "write token": token_ok and permission in ROLE_PERMISSIONS[WRITE_TOKEN_OWNER],
        # The most a leaked token can do: an admin's write token.
        "admin write token": token_ok and permission in ROLE_PERMISSIONS[Role.admin],
    }


def permission_matrix(app: FastAPI) -> list[MatrixRow]:
    rows = []
    # FastAPI nests included routers; the route contexts carry each route's full path and its
    # dependencies, those of the routers it was included in as well.
    for route in iter_route_contexts(app.routes):
        path = route.path_format or ""
        if not isinstance(route.original_route, APIRoute) or not path.startswith("/api/"):
            continue
        found = set(permissions_in(route.dependant))
        assert len(found) <= 1, f"{path} checks several permissions: {found}"
        permission = found.pop() if found else None
        for method in sorted(route.methods or ()):
            rows.append(MatrixRow(method, path, permission, _allowed(permission)))
    return sorted(rows, key=lambda r: (r.path, r.method))


BEGIN, END = "<!-- matrix:begin -->", "<!-- matrix:end -->"


def matrix_markdown(rows: list[MatrixRow]) -> str:
    header = "| operation | permission | " + " | ".join(CALLERS) + " |"
    rule = "| --- | --- | " + " | ".join("---" for _ in CALLERS) + " |"
    lines = [BEGIN, header, rule]
    for row in rows:
        marks = " | ".join("yes" if row.allowed[c] else "no" for c in CALLERS)
        lines.append(f"| `{row.operation}` | {row.permission or 'public'} | {marks} |")
    lines.append(END)
    return "\n".join(lines)


def parse_matrix_markdown(text: str) -> dict[str, dict[str, Any]]:
    """The table in docs/permissions.md, as {operation: {"permission": …, caller: bool}}."""
    body = text.split(BEGIN, 1)[1].split(END, 1)[0].strip().splitlines()
    columns = [c.strip() for c in body[0].strip("|").split("|")]
    table: dict[str, dict[str, Any]] = {}
    for line in body[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        operation = cells[0].strip("`")
        row: dict[str, Any] = {"permission": cells[1]}
        row.update({col: cell == "yes" for col, cell in zip(columns[2:], cells[2:], strict=True)})
        table[operation] = row
    return table
