"""workbook_row.version: the progress update's version as its workbook row last left it

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("workbook_row", sa.Column("version", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("workbook_row", "version")
