"""The near-duplicate index (MinHash signatures) and the duplicate groups coordinators link."""

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, UTCDateTime, utcnow


class SimilaritySignature(Base):
    """The MinHash signature of one language's text of a recommendation, once per State it
    concerns: it estimates the similarity of two texts without their shingles, so that only
    likely pairs are rescored. Keyed by State first, so that a State's signatures in a language
    (a recommendation's candidates, or a State's for /duplicates) are one range of the primary
    key, not thousands of lookups (app/similarity/service.py)."""

    __tablename__ = "similarity_signature"

    country_iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # PERMUTATIONS unsigned 32-bit integers, little-endian.
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    # Every language the recommendation has a signature in (minhash.LANGUAGE_BITS): a reader
    # keeps the row of the first language it shares with its own text, without a second query.
    languages: Mapped[int] = mapped_column(SmallInteger)


class DuplicateLink(Base):
    """A recommendation's membership of a group of duplicates, as a coordinator linked them."""

    __tablename__ = "duplicate_link"

    recommendation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(index=True)
    linked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
