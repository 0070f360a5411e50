"""Inserting many rows fast: COPY on PostgreSQL, one executemany on SQLite."""

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


async def bulk_insert(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert `rows` (Python values, as the ORM takes them) into `table`, in this transaction."""
    if not rows:
        return
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
