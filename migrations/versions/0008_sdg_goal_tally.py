"""a tally of recommendations per SDG goal, status and UPR position, kept by triggers; an
index from recommendation id to goals, for overdue actions per goal

Corpus-wide progress by SDG reads these few hundred rows instead of the corpus. Triggers on
recommendation keep it: on PostgreSQL once per statement, from its transition tables (one
aggregate per import batch, rows locked in key order so that concurrent writers cannot
deadlock on it); on SQLite once per row, with only one writer at a time.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tally rows of the recommendations in {source} (a table, or NEW/OLD on SQLite), each
# with {sign}: goal 0 once for any goal, then once per goal whose bit is set.
_COUNTED = """
    SELECT 0 AS goal, r.status AS status, coalesce(r.upr_position, 'none') AS upr_position,
           {sign} AS n
    FROM {source} AS r WHERE NOT r.archived AND r.sdg_goal_mask <> 0
    UNION ALL
    SELECT g.number, r.status, coalesce(r.upr_position, 'none'), {sign}
    FROM {source} AS r JOIN sdg_goal AS g ON (r.sdg_goal_mask & (1 << (g.number - 1))) <> 0
    WHERE NOT r.archived
"""
# Add the summed rows to the tally, in key order.
_APPLY = """
    INSERT INTO sdg_goal_tally AS tally (goal, status, upr_position, recommendations)
    SELECT goal, status, upr_position, sum(n) FROM ({rows}) AS delta
    GROUP BY goal, status, upr_position HAVING sum(n) <> 0
    ORDER BY goal, status, upr_position
    ON CONFLICT (goal, status, upr_position)
    DO UPDATE SET recommendations = tally.recommendations + excluded.recommendations
"""

_ADDED = _COUNTED.format(source="new_rows", sign=1)
_REMOVED = _COUNTED.format(source="old_rows", sign=-1)
_PG_FUNCTION = f"""
CREATE FUNCTION sdg_goal_tally_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_APPLY.format(rows=_ADDED)};
    ELSIF TG_OP = 'DELETE' THEN
        {_APPLY.format(rows=_REMOVED)};
    ELSE
        {_APPLY.format(rows=_ADDED + " UNION ALL " + _REMOVED)};
    END IF;
    RETURN NULL;
END;
$$
"""
_PG_TRIGGERS = {
    "INSERT": "REFERENCING NEW TABLE AS new_rows",
    "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "DELETE": "REFERENCING OLD TABLE AS old_rows",
}


def _sqlite_rows(row: str, sign: int) -> str:
    # SQLite has no transition tables: each row trigger counts NEW or OLD alone. "WHERE true"
    # settles the parsing ambiguity of INSERT … SELECT … ON CONFLICT.
    return f"""
    INSERT INTO sdg_goal_tally (goal, status, upr_position, recommendations)
    SELECT goal, status, upr_position, n FROM (
        SELECT 0 AS goal, {row}.status AS status,
               coalesce({row}.upr_position, 'none') AS upr_position, {sign} AS n
        WHERE NOT {row}.archived AND {row}.sdg_goal_mask <> 0
        UNION ALL
        SELECT g.number, {row}.status, coalesce({row}.upr_position, 'none'), {sign}
        FROM sdg_goal AS g
        WHERE NOT {row}.archived AND ({row}.sdg_goal_mask & (1 << (g.number - 1))) <> 0
    ) WHERE true
    ON CONFLICT (goal, status, upr_position)
    DO UPDATE SET recommendations = recommendations + excluded.recommendations;
"""  # noqa: S608 (built from constants, no input)


_COUNTED_COLUMNS = "status, upr_position, archived, sdg_goal_mask"
_SQLITE_TRIGGERS = {
    "sdg_goal_tally_insert": ("AFTER INSERT ON recommendation", _sqlite_rows("NEW", 1)),
    "sdg_goal_tally_update": (
        f"AFTER UPDATE OF {_COUNTED_COLUMNS} ON recommendation",
        _sqlite_rows("OLD", -1) + _sqlite_rows("NEW", 1),
    ),
    "sdg_goal_tally_delete": ("AFTER DELETE ON recommendation", _sqlite_rows("OLD", -1)),
}


def upgrade() -> None:
    op.create_index(
        "ix_recommendation_id_goals", "recommendation", ["id", "archived", "sdg_goal_mask"]
    )
    op.create_table(
        "sdg_goal_tally",
        sa.Column("goal", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("upr_position", sa.String(length=16), nullable=False),
        sa.Column("recommendations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("goal", "status", "upr_position", name="pk_sdg_goal_tally"),
    )
    op.execute(  # built from constants, no input
        "INSERT INTO sdg_goal_tally (goal, status, upr_position, recommendations) "  # noqa: S608
        "SELECT goal, status, upr_position, sum(n) FROM ("
        + _COUNTED.format(source="recommendation", sign=1)
        + ") AS counted GROUP BY goal, status, upr_position"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for event, tables in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER sdg_goal_tally_{event.lower()} AFTER {event} ON recommendation "
                f"{tables} FOR EACH STATEMENT EXECUTE FUNCTION sdg_goal_tally_follow()"
            )
    else:
        for name, (when, body) in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for event in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER sdg_goal_tally_{event.lower()} ON recommendation")
        op.execute("DROP FUNCTION sdg_goal_tally_follow()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("sdg_goal_tally")
    op.drop_index("ix_recommendation_id_goals", table_name="recommendation")
