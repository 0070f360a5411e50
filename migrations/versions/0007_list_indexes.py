"""indexes that give filtered lists newest first: by mechanism, by status, by country

A country link carries its recommendation's publication date, by a foreign key on
(publication_date, id) that cascades updates, so that one country's recommendations come newest
first off one index instead of probing the whole corpus in date order.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DATE_ID = "ix_recommendation_publication_date_id"
_COUNTRY_DATE = "ix_recommendation_country_country_iso3_date"
_COUNTRY_FK = "fk_recommendation_country_publication_date_recommendation"
_OLD_COUNTRY_FK = "fk_recommendation_country_recommendation_id_recommendation"


def upgrade() -> None:
    op.drop_index("ix_recommendation_mechanism_id", table_name="recommendation")
    op.drop_index("ix_recommendation_status", table_name="recommendation")
    op.create_index(
        "ix_recommendation_mechanism_id_date",
        "recommendation",
        ["mechanism_id", "publication_date", "id"],
    )
    op.create_index(
        "ix_recommendation_status_date", "recommendation", ["status", "publication_date", "id"]
    )
    # Unique, so that it can be referenced by a foreign key; it always was (id is).
    op.drop_index(_DATE_ID, table_name="recommendation")
    op.create_index(_DATE_ID, "recommendation", ["publication_date", "id"], unique=True)
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_country_links_sqlite()
    else:
        _alter_country_links()
    op.create_index(
        _COUNTRY_DATE,
        "recommendation_country",
        ["country_iso3", "publication_date", "recommendation_id"],
    )


def _alter_country_links() -> None:
    op.drop_index("ix_recommendation_country_country_iso3", table_name="recommendation_country")
    op.add_column("recommendation_country", sa.Column("publication_date", sa.Date()))
    op.execute(
        """
        UPDATE recommendation_country AS link SET publication_date = r.publication_date
        FROM recommendation AS r WHERE r.id = link.recommendation_id
        """
    )
    op.alter_column("recommendation_country", "publication_date", nullable=False)
    op.drop_constraint(_OLD_COUNTRY_FK, "recommendation_country", type_="foreignkey")
    op.create_foreign_key(
        _COUNTRY_FK,
        "recommendation_country",
        "recommendation",
        ["publication_date", "recommendation_id"],
        ["publication_date", "id"],
        ondelete="CASCADE",
        onupdate="CASCADE",
    )


def _rebuild_country_links_sqlite() -> None:
    """SQLite cannot add a foreign key to a table: build the new one and move the rows."""
    op.create_table(
        "recommendation_country_new",
        sa.Column("recommendation_id", sa.Uuid(), nullable=False),
        sa.Column("country_iso3", sa.String(length=3), nullable=False),
        sa.Column("publication_date", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["country_iso3"],
            ["country.iso3"],
            name="fk_recommendation_country_country_iso3_country",
        ),
        sa.ForeignKeyConstraint(
            ["publication_date", "recommendation_id"],
            ["recommendation.publication_date", "recommendation.id"],
            name=_COUNTRY_FK,
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "recommendation_id", "country_iso3", name="pk_recommendation_country"
        ),
    )
    op.execute(
        """
        INSERT INTO recommendation_country_new (recommendation_id, country_iso3, publication_date)
        SELECT link.recommendation_id, link.country_iso3, r.publication_date
        FROM recommendation_country AS link
        JOIN recommendation AS r ON r.id = link.recommendation_id
        """
    )
    op.drop_table("recommendation_country")
    op.rename_table("recommendation_country_new", "recommendation_country")


def downgrade() -> None:
    op.drop_index(_COUNTRY_DATE, table_name="recommendation_country")
    with op.batch_alter_table("recommendation_country") as batch_op:
        batch_op.drop_constraint(_COUNTRY_FK, type_="foreignkey")
        batch_op.drop_column("publication_date")
        batch_op.create_foreign_key(
            _OLD_COUNTRY_FK, "recommendation", ["recommendation_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.create_index("ix_recommendation_country_country_iso3", ["country_iso3"])
    op.drop_index(_DATE_ID, table_name="recommendation")
    op.create_index(_DATE_ID, "recommendation", ["publication_date", "id"])
    op.drop_index("ix_recommendation_status_date", table_name="recommendation")
    op.drop_index("ix_recommendation_mechanism_id_date", table_name="recommendation")
    op.create_index("ix_recommendation_status", "recommendation", ["status"])
    op.create_index("ix_recommendation_mechanism_id", "recommendation", ["mechanism_id"])
