"""Near-duplicates read by State: similarity_signature keyed by State, similarity_band dropped

A recommendation's near-duplicate candidates are now the signatures of the recommendations to
its States, read as one range of the primary key (State, language, recommendation); the band
hashes (24 rows per text: most of the index's size and of its rebuild time) are no longer kept.
The signatures are carried over, once per State their recommendation concerns.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_signatures(by_state: bool) -> None:
    keys = ["country_iso3", "language", "recommendation_id"] if by_state else [
        "recommendation_id", "language"
    ]  # fmt: skip
    state = [sa.Column("country_iso3", sa.String(length=3), nullable=False)] if by_state else []
    mask = [sa.Column("languages", sa.SmallInteger(), nullable=False)] if by_state else []
    op.create_table(
        "similarity_signature",
        *state,
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        *mask,
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_similarity_signature_recommendation_id_recommendation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_similarity_signature")),
    )
    if by_state:
        op.create_index(
            op.f("ix_similarity_signature_recommendation_id"),
            "similarity_signature",
            ["recommendation_id"],
        )


def _replace_signatures(copy: str, by_state: bool) -> None:
    # The rows go through a plain copy: the new table's constraints take the old one's names.
    op.execute(f"CREATE TABLE similarity_signature_copy AS {copy}")
    op.drop_table("similarity_signature")
    _create_signatures(by_state)
    columns = "country_iso3, language, recommendation_id, signature, languages" if by_state else (
        "language, recommendation_id, signature"
    )  # fmt: skip
    op.execute(
        f"INSERT INTO similarity_signature ({columns}) "  # noqa: S608 (constants)
        f"SELECT {columns} FROM similarity_signature_copy"
    )
    op.drop_table("similarity_signature_copy")


def upgrade() -> None:
    op.drop_index("ix_similarity_band_hash", table_name="similarity_band")
    op.drop_table("similarity_band")
    # A recommendation to no State is kept under "" (app/similarity/index.py NO_STATE).
    _replace_signatures(
        "SELECT COALESCE(rc.country_iso3, '') AS country_iso3, s.language, s.recommendation_id, "
        "s.signature, m.languages "
        "FROM similarity_signature s "
        "LEFT JOIN recommendation_country rc ON rc.recommendation_id = s.recommendation_id "
        # minhash.LANGUAGE_BITS as it was written: bit n is the n-th of en fr es ru ar zh.
        "JOIN (SELECT recommendation_id, SUM(CASE language WHEN 'en' THEN 1 WHEN 'fr' THEN 2 "
        "WHEN 'es' THEN 4 WHEN 'ru' THEN 8 WHEN 'ar' THEN 16 WHEN 'zh' THEN 32 ELSE 0 END) "
        "AS languages "
        "FROM similarity_signature GROUP BY recommendation_id) m "
        "ON m.recommendation_id = s.recommendation_id "
        "ORDER BY 1, s.language, s.recommendation_id",
        by_state=True,
    )


def downgrade() -> None:
    _replace_signatures(
        "SELECT DISTINCT language, recommendation_id, signature FROM similarity_signature",
        by_state=False,
    )
    # Recreated empty: the older release's `rectrack similar rebuild` fills it again.
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
