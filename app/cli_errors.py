"""The command line's one-line answers to a database it cannot reach, sign in to, or open.

A missing role used to end `rectrack db upgrade` in a 198-line traceback. Each line says what
failed (host:port/database and user, never the password) and what to check; `rectrack --debug …`
shows the traceback instead.
"""

import socket
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

SETUP = "README.md, PostgreSQL"
# SQLSTATE classes and codes (PostgreSQL appendix A).
_AUTHENTICATION = {"28000", "28P01"}  # no such role / not allowed from here; wrong password
_NO_DATABASE = "3D000"
_PERMISSION = {"42501"}
_CANNOT_CONNECT = {"57P03", "53300"}  # starting up or shutting down; too many connections


def _where(url: str) -> tuple[str, str]:
    """`host:port/database` and the user of a URL, never its password."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the database in RECTRACK_DATABASE_URL", "?"
    if parsed.get_backend_name() == "sqlite":
        return str(parsed.database or ":memory:"), ""
    host = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    return f"{host}/{parsed.database or ''}", parsed.username or "(the OS user)"


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (getattr(exc, "orig", None), exc.__cause__, exc):
        code = getattr(candidate, "sqlstate", None)
        if isinstance(code, str):
            return code
    return None


def database_problem(exc: BaseException, database_url: str) -> str | None:
    """One line for a failure to reach, sign in to or open the database; None for the rest."""
    where, user = _where(database_url)
    code = _sqlstate(exc)
    reason = (
        str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    )
    if code in _AUTHENTICATION:
        return (
            f"PostgreSQL at {where} refused user {user}: {reason}. Check the user and password in "
            f"RECTRACK_DATABASE_URL and that the role exists ({SETUP})."
        )
    if code == _NO_DATABASE:
        return (
            f"PostgreSQL at {where}: {reason}. Create it, owned by {user} ({SETUP}), or correct "
            "the database name in RECTRACK_DATABASE_URL."
        )
    if code in _PERMISSION:
        return (
            f"PostgreSQL at {where} refused user {user}: {reason}. The role must own the "
            f"database ({SETUP})."
        )
    if code in _CANNOT_CONNECT:
        return f"PostgreSQL at {where} is not taking connections: {reason}. Try again shortly."
    if isinstance(exc, socket.gaierror):
        return (
            f"Cannot find the database host of {where} ({exc.strerror}). Check the host name in "
            "RECTRACK_DATABASE_URL."
        )
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return (
            f"Cannot connect to PostgreSQL at {where} ({type(exc).__name__}). Check that the "
            "server is running and listening there, and the host and port in "
            "RECTRACK_DATABASE_URL."
        )
    if isinstance(exc, DBAPIError) and "unable to open database file" in reason:
        return _cannot_open(where)
    return None


def _cannot_open(path: str) -> str:
    return (
        f"Cannot open the SQLite database {path}. Check that its directory exists and that you "
        "may write there, or set RECTRACK_DATABASE_URL."
    )


def sqlite_problem(database_url: str) -> str | None:
    """A SQLite file whose directory does not exist, told before anything opens it: aiosqlite's
    thread, failing to open it, would outlive the command's event loop and print a traceback."""
    try:
        parsed = make_url(database_url)
    except ArgumentError:
        return None
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    path = Path(str(parsed.database))
    return None if path.parent.is_dir() else _cannot_open(str(path))
