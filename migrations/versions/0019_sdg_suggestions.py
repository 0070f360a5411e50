"""SDG suggestions: the index (vectors, packed centroids, exemplars) and rejections

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sdg_suggest_vector",
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("indices", sa.LargeBinary(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("lang", "kind", "code", name=op.f("pk_sdg_suggest_vector")),
    )
    op.create_table(
        "sdg_suggest_packed",
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("indptr", sa.LargeBinary(), nullable=False),
        sa.Column("indices", sa.LargeBinary(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("lang", "kind", name=op.f("pk_sdg_suggest_packed")),
    )
    op.create_table(
        "sdg_suggest_exemplar",
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("indices", sa.LargeBinary(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_sdg_suggest_exemplar_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "lang", "code", "recommendation_id", name=op.f("pk_sdg_suggest_exemplar")
        ),
    )
    op.create_index(
        op.f("ix_sdg_suggest_exemplar_recommendation_id"),
        "sdg_suggest_exemplar",
        ["recommendation_id"],
    )
    op.create_table(
        "sdg_suggestion_rejection",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("target_code", sa.String(length=8), nullable=False),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rejected_by", sa.String(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_sdg_suggestion_rejection_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_code"],
            ["sdg_target.code"],
            name=op.f("fk_sdg_suggestion_rejection_target_code_sdg_target"),
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "target_code", name=op.f("pk_sdg_suggestion_rejection")
        ),
    )


def downgrade() -> None:
    op.drop_table("sdg_suggestion_rejection")
    op.drop_index(
        op.f("ix_sdg_suggest_exemplar_recommendation_id"), table_name="sdg_suggest_exemplar"
    )
    op.drop_table("sdg_suggest_exemplar")
    op.drop_table("sdg_suggest_packed")
    op.drop_table("sdg_suggest_vector")
