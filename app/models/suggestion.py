"""What SDG suggestions need in the database: the index every process reads, and rejections.

The index is small per language (an IDF row, one centroid per target and goal, the targets' own
texts, a few exemplars per target) and is read per request, so `serve --workers N` shares it.
"""

import datetime as dt
import uuid

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class SdgSuggestVector(Base):
    """One sparse vector of one language's model: kind "idf" (dense, code ""), "target" and
    "goal" (the sum of the tagged recommendations' vectors, code "16.2" or "g16"), "text" (a
    target's own words)."""

    __tablename__ = "sdg_suggest_vector"

    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    # Recommendations summed into it (for "idf", the language's corpus size).
    documents: Mapped[int] = mapped_column(Integer)
    indices: Mapped[bytes] = mapped_column(LargeBinary)
    weights: Mapped[bytes] = mapped_column(LargeBinary)


class SdgSuggestPacked(Base):
    """One language's centroids of one kind, normalised and stacked (CSR): what a request reads,
    in one row, instead of a row per target. Written from sdg_suggest_vector after every
    rebuild and every addition."""

    __tablename__ = "sdg_suggest_packed"

    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    codes: Mapped[list[str]] = mapped_column(JSON)
    indptr: Mapped[bytes] = mapped_column(LargeBinary)
    indices: Mapped[bytes] = mapped_column(LargeBinary)
    weights: Mapped[bytes] = mapped_column(LargeBinary)


class SdgSuggestExemplar(Base):
    """A tagged recommendation close to its target's centroid: what `because` names."""

    __tablename__ = "sdg_suggest_exemplar"

    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    indices: Mapped[bytes] = mapped_column(LargeBinary)
    weights: Mapped[bytes] = mapped_column(LargeBinary)


class SdgSuggestionRejection(Base):
    """A target a coordinator said a recommendation does not serve: never suggested for it again."""

    __tablename__ = "sdg_suggestion_rejection"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    target_code: Mapped[str] = mapped_column(ForeignKey("sdg_target.code"), primary_key=True)
    rejected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    rejected_by: Mapped[str | None] = mapped_column(String(320))
