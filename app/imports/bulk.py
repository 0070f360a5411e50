"""Inserting many rows fast: COPY on PostgreSQL, one executemany on SQLite."""

from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.schema import ColumnDefault


async def bulk_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (Python values, as the ORM takes them) into `table`, in this transaction."""
    if not rows:
        return
    rows = _with_defaults(table, rows)
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        await connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    # The column types turn Python values into what the driver sends (enums to ranks, JSON to
    # text…), exactly as an INSERT through SQLAlchemy would.
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    if any(processors):
        records = [
            tuple(
                process(row[name]) if process else row[name]
                for name, process in zip(columns, processors, strict=True)
            )
            for row in rows
        ]
    else:
        records = [tuple(row.values()) for row in rows]
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
        table.name, records=records, columns=columns
    )


def _with_defaults(table: Table, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fill the columns a row leaves out from their Python-side defaults (`created_at`…), as an
    INSERT through the ORM would; COPY knows nothing of them."""
    defaults = {
        column.key: column.default
        for column in table.columns
        if column.key not in rows[0] and isinstance(column.default, ColumnDefault)
    }
    if not defaults:
        return rows

    def value(default: ColumnDefault) -> Any:
        # A callable default is wrapped to take the execution context; ours ignore it.
        return default.arg(None) if default.is_callable else default.arg

    return [{**row, **{key: value(d) for key, d in defaults.items()}} for row in rows]


# The trigram index behind search is most of what an import costs PostgreSQL. GIN indexes take
# new entries into a pending list and merge it into the index when it outgrows
# gin_pending_list_limit (4 MB by default), with work_mem (4 MB) to sort it in. Merging 64 MB at
# a time with 64 MB of memory costs about half as much per entry (bench/README.md).
_BULK_GIN_SETTINGS = text(
    "SELECT set_config('gin_pending_list_limit', '64MB', true), "
    "set_config('work_mem', '64MB', true)"
)
# Merging what is left once the import is done, so that searches do not scan up to 64 MB of
# pending entries (nor the next API write merge them) until autovacuum gets there. Only the
# index's owner may (the role that ran the migrations); any other role leaves it to autovacuum.
_MERGE_PENDING_SEARCH_ENTRIES = text(
    "SELECT gin_clean_pending_list(c.oid) FROM pg_class c "
    "WHERE c.oid = to_regclass('ix_recommendation_search_document_trgm') "
    "AND pg_has_role(c.relowner, 'USAGE')"
)


async def prepare_bulk_transaction(session: AsyncSession) -> None:
    """Settings for a transaction that writes a batch of records (PostgreSQL; they end with it)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(_BULK_GIN_SETTINGS)


async def merge_pending_search_entries(session: AsyncSession) -> None:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(_MERGE_PENDING_SEARCH_ENTRIES)
