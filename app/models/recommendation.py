"""A recommendation (or concern) made to one or more States, with its tags."""

import datetime as dt
import enum
import uuid
from collections.abc import Iterable

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Date,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, RankedEnum, UTCDateTime, utcnow
from app.models.cluster import ClusterRecommendation
from app.models.mechanism import Mechanism
from app.models.taxonomy import AffectedPerson, Theme


class RecommendationType(enum.StrEnum):
    recommendation = "recommendation"
    concern = "concern"
    other = "other"


class UprPosition(enum.StrEnum):
    supported = "supported"
    noted = "noted"


class Priority(enum.StrEnum):
    # Declaration order is the rank: sorting by priority puts high first.
    high = "high"
    medium = "medium"
    low = "low"


class Status(enum.StrEnum):
    # Declaration order is the rank: sorting by status goes from least to most advanced.
    not_started = "not_started"
    planned = "planned"
    in_progress = "in_progress"
    partially_implemented = "partially_implemented"
    implemented = "implemented"


def _fk(target: str) -> ForeignKey:
    return ForeignKey(target, ondelete="CASCADE")


def goal_mask(goals: Iterable[int]) -> int:
    """Recommendation.sdg_goal_mask for these goals."""
    return sum(1 << (goal - 1) for goal in set(goals))


def has_any_goal(goals: Iterable[int]) -> ColumnElement[bool]:
    """The recommendation is tagged with at least one of `goals`, read from its mask."""
    return Recommendation.sdg_goal_mask.op("&")(goal_mask(goals)) != 0


class Recommendation(Base):
    __tablename__ = "recommendation"
    __table_args__ = (
        # Unique so that country links can carry the date by foreign key (RecommendationCountry).
        Index("ix_recommendation_publication_date_id", "publication_date", "id", unique=True),
        # Lists filtered by mechanism or status come newest first straight off these indexes.
        Index("ix_recommendation_mechanism_id_date", "mechanism_id", "publication_date", "id"),
        Index("ix_recommendation_status_date", "status", "publication_date", "id"),
        # Progress by SDG reads only this index: an index-only scan, however large the corpus.
        Index("ix_recommendation_progress", "archived", "status", "upr_position", "sdg_goal_mask"),
        # Overdue actions reach their recommendations' goals through this one, without the heap.
        Index("ix_recommendation_id_goals", "id", "archived", "sdg_goal_mask"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    uhri_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    symbol: Mapped[str] = mapped_column(String(200), index=True)
    paragraph: Mapped[str | None] = mapped_column(String(50))
    type: Mapped[RecommendationType] = mapped_column(
        Enum(RecommendationType, native_enum=False, length=16, create_constraint=True), index=True
    )
    mechanism_id: Mapped[int] = mapped_column(ForeignKey("mechanism.id"))
    publication_date: Mapped[dt.date] = mapped_column(Date)
    # {lang: text}, one entry per language known.
    text: Mapped[dict[str, str]] = mapped_column(JSON)
    upr_position: Mapped[UprPosition | None] = mapped_column(
        Enum(UprPosition, native_enum=False, length=16, create_constraint=True), index=True
    )
    upr_cycle: Mapped[int | None] = mapped_column(SmallInteger, index=True)
    upr_session: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[Priority | None] = mapped_column(RankedEnum(Priority), index=True)
    # Derived from planning and validated progress (DESIGN §4); kept current on every change.
    status: Mapped[Status] = mapped_column(RankedEnum(Status), default=Status.not_started)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # A treaty body's follow-up procedure: the date the State's answer on this paragraph is due.
    follow_up_due: Mapped[dt.date | None] = mapped_column(Date, index=True)
    # The goals of sdg_goal_links (direct or through a target), bit g-1 for goal g: what lets
    # progress by SDG count without joining the link table. Written with the links, always.
    sdg_goal_mask: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer)
    # For records from UHRI: a digest per language of what the last import of that language's
    # file said, so that importing an unchanged file writes nothing; "_facts" names the language
    # whose file last set the tags.
    import_digests: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    mechanism: Mapped[Mechanism] = relationship(lazy="raise")
    country_links: Mapped[list["RecommendationCountry"]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RecommendationCountry.country_iso3"
    )
    recommending_state_links: Mapped[list["RecommendingState"]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RecommendingState.name"
    )
    theme_links: Mapped[list["RecommendationTheme"]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    affected_person_links: Mapped[list["RecommendationAffectedPerson"]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    sdg_goal_links: Mapped[list["RecommendationSdgGoal"]] = relationship(
        cascade="all, delete-orphan", lazy="raise", order_by="RecommendationSdgGoal.goal_number"
    )
    sdg_target_links: Mapped[list["RecommendationSdgTarget"]] = relationship(
        cascade="all, delete-orphan", lazy="raise"
    )
    # Membership is written by the clusters feature; a recommendation only reads it.
    cluster_links: Mapped[list[ClusterRecommendation]] = relationship(lazy="raise", viewonly=True)


class RecommendationCountry(Base):
    """A country a recommendation concerns. The link carries its recommendation's publication
    date, so that one country's list comes newest first from one index instead of probing
    every recommendation in date order. A foreign key on (date, id) with ON UPDATE CASCADE
    keeps the copy right: the ORM fills it in on insert, the database follows every change."""

    __tablename__ = "recommendation_country"
    __table_args__ = (
        ForeignKeyConstraint(
            ["publication_date", "recommendation_id"],
            ["recommendation.publication_date", "recommendation.id"],
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        Index(
            "ix_recommendation_country_country_iso3_date",
            "country_iso3",
            "publication_date",
            "recommendation_id",
        ),
    )

    recommendation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    country_iso3: Mapped[str] = mapped_column(ForeignKey("country.iso3"), primary_key=True)
    publication_date: Mapped[dt.date] = mapped_column(Date)


class RecommendingState(Base):
    """A State that made a UPR recommendation, by the name UHRI gives."""

    __tablename__ = "recommending_state"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(_fk("recommendation.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class RecommendationTheme(Base):
    __tablename__ = "recommendation_theme"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(_fk("recommendation.id"), primary_key=True)
    theme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("theme.id"), primary_key=True, index=True
    )
    theme: Mapped[Theme] = relationship(lazy="raise")


class RecommendationAffectedPerson(Base):
    __tablename__ = "recommendation_affected_person"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(_fk("recommendation.id"), primary_key=True)
    affected_person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("affected_person.id"), primary_key=True, index=True
    )
    affected_person: Mapped[AffectedPerson] = relationship(lazy="raise")


class RecommendationSdgGoal(Base):
    """Every goal a recommendation serves: tagged directly, or through one of its targets."""

    __tablename__ = "recommendation_sdg_goal"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(_fk("recommendation.id"), primary_key=True)
    goal_number: Mapped[int] = mapped_column(
        ForeignKey("sdg_goal.number"), primary_key=True, index=True
    )
    # True when the goal itself was tagged, not only reached through a target.
    direct: Mapped[bool] = mapped_column(Boolean)


class RecommendationSdgTarget(Base):
    __tablename__ = "recommendation_sdg_target"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(_fk("recommendation.id"), primary_key=True)
    target_code: Mapped[str] = mapped_column(
        ForeignKey("sdg_target.code"), primary_key=True, index=True
    )


class RecommendationSearch(Base):
    """The lower-cased text that `q` searches: symbol, paragraph and every language's text.

    The integer key lets SQLite's FTS5 trigram index mirror this table (external content);
    PostgreSQL indexes `document` with pg_trgm instead.
    """

    __tablename__ = "recommendation_search"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("recommendation.id", ondelete="CASCADE"), unique=True
    )
    document: Mapped[str] = mapped_column(Text)
