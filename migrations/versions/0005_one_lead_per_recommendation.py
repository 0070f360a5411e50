"""one lead institution per recommendation, held by a partial unique index

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Earlier releases checked for another lead in Python only; concurrent writers could add a
    # second. Keep the oldest lead and make the others support before the index holds the rule.
    op.execute(
        """
        UPDATE assignment SET role = 'support'
        WHERE role = 'lead' AND EXISTS (
            SELECT 1 FROM assignment AS earlier
            WHERE earlier.recommendation_id = assignment.recommendation_id
              AND earlier.role = 'lead'
              AND (earlier.created_at, earlier.id) < (assignment.created_at, assignment.id)
        )
        """
    )
    op.create_index(
        "uq_assignment_one_lead",
        "assignment",
        ["recommendation_id"],
        unique=True,
        sqlite_where=sa.text("role = 'lead'"),
        postgresql_where=sa.text("role = 'lead'"),
    )


def downgrade() -> None:
    op.drop_index("uq_assignment_one_lead", table_name="assignment")
