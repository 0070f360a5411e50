"""Online backup of the embedded SQLite database (docs/operations.md).

SQLite's backup API copies a consistent snapshot page by page while the service keeps reading
and writing; copying the file with `cp` during a write can produce a torn, unusable copy.
PostgreSQL deployments use pg_dump and pg_restore instead.
"""

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


def backup_sqlite(database_url: str, destination: Path) -> int:
    """Copy the database at `database_url` to `destination`; return the pages copied."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise BackupError("db backup copies SQLite databases; for PostgreSQL use pg_dump -Fc")
    source_path = Path(url.database)
    if not source_path.exists():
        raise BackupError(f"there is no database at {source_path}")
    if destination.exists():
        raise BackupError(f"{destination} exists; choose a new file rather than overwrite it")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    target = sqlite3.connect(destination)
    try:
        # Copy in steps so that writers are held up for a few pages at a time, not the whole copy.
        source.backup(target, pages=1024)
        return int(target.execute("PRAGMA page_count").fetchone()[0])
    finally:
        target.close()
        source.close()
