"""each recommendation's SDG goals as a bit mask beside its status, for progress figures

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("recommendation") as batch_op:
        batch_op.add_column(
            sa.Column("sdg_goal_mask", sa.Integer(), server_default="0", nullable=False)
        )
    # Bit g-1 is set for goal g; one link row per (recommendation, goal), so a sum is an OR.
    op.execute(
        """
        UPDATE recommendation SET sdg_goal_mask = (
            SELECT coalesce(sum(1 << (link.goal_number - 1)), 0)
            FROM recommendation_sdg_goal AS link
            WHERE link.recommendation_id = recommendation.id
        )
        """
    )
    op.create_index(
        "ix_recommendation_progress",
        "recommendation",
        ["archived", "status", "upr_position", "sdg_goal_mask"],
    )


def downgrade() -> None:
    op.drop_index("ix_recommendation_progress", table_name="recommendation")
    with op.batch_alter_table("recommendation") as batch_op:
        batch_op.drop_column("sdg_goal_mask")
