"""how many times a worker has started each import job; a version and update time on each
measurement

An import job whose process keeps dying (out of memory) is no longer taken over forever: after
app.imports.service.MAX_ATTEMPTS starts it fails with a reason. Measurements can now be
corrected (PATCH with If-Match) and so carry a version, like every resource that changes.

Revision ID: 0010
Revises: 0009 (written on 0008; re-chained when main, with 0009, was merged in)
Create Date: 2026-11-29 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_job") as batch_op:
        # A job running now has started once at least.
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
    op.execute("UPDATE import_job SET attempts = 1 WHERE status <> 'queued'")
    with op.batch_alter_table("measurement") as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measurement") as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
    with op.batch_alter_table("import_job") as batch_op:
        batch_op.drop_column("attempts")
