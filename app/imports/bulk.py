"""Inserting many rows fast: COPY on PostgreSQL, one executemany on SQLite."""

from typing import Any

from sqlalchemy import Table
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
