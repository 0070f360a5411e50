"""The near-duplicate index (LSH band hashes) and the duplicate groups coordinators link."""

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class SimilarityBand(Base):
    """One LSH band hash of one language's text of a recommendation (app/similarity/minhash.py).

    Candidates are the recommendations sharing a hash: an equality join on the hash index. The
    hash has the language and the band number hashed in, so the hash alone is the join key."""

    __tablename__ = "similarity_band"
    __table_args__ = (Index("ix_similarity_band_hash", "hash"),)

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    hash: Mapped[int] = mapped_column(BigInteger)


class SimilaritySignature(Base):
    """The MinHash signature of one language's text of a recommendation: it estimates the
    similarity of two texts without their shingles, so that only likely pairs are rescored."""

    __tablename__ = "similarity_signature"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    # PERMUTATIONS unsigned 32-bit integers, little-endian.
    signature: Mapped[bytes] = mapped_column(LargeBinary)


class DuplicateLink(Base):
    """A recommendation's membership of a group of duplicates, as a coordinator linked them."""

    __tablename__ = "duplicate_link"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
