"""The near-duplicate index (similarity_band, similarity_signature) and duplicate_link

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "similarity_band",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("hash", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_similarity_band_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "language", "band", name=op.f("pk_similarity_band")
        ),
    )
    op.create_index("ix_similarity_band_hash", "similarity_band", ["hash"])
    op.create_table(
        "similarity_signature",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_similarity_signature_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "language", name=op.f("pk_similarity_signature")
        ),
    )
    op.create_table(
        "duplicate_link",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_duplicate_link_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recommendation_id", name=op.f("pk_duplicate_link")),
    )
    op.create_index(op.f("ix_duplicate_link_group_id"), "duplicate_link", ["group_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_duplicate_link_group_id"), table_name="duplicate_link")
    op.drop_table("duplicate_link")
    op.drop_table("similarity_signature")
    op.drop_index("ix_similarity_band_hash", table_name="similarity_band")
    op.drop_table("similarity_band")
