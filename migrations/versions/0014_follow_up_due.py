"""recommendation.follow_up_due: the treaty bodies' follow-up procedure

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("recommendation", sa.Column("follow_up_due", sa.Date(), nullable=True))
    op.create_index("ix_recommendation_follow_up_due", "recommendation", ["follow_up_due"])


def downgrade() -> None:
    op.drop_index("ix_recommendation_follow_up_due", table_name="recommendation")
    # A plain ALTER TABLE, also on SQLite (3.35+): batch mode would copy the table and lose the
    # SDG tally's triggers on it.
    op.drop_column("recommendation", "follow_up_due")
