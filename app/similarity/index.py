"""Keeping the near-duplicate index (similarity_band) current: per recommendation, in bulk for
an import's new records, and rebuilt whole by `rectrack similar rebuild`."""

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.imports.bulk import bulk_insert
from app.models.recommendation import Recommendation
from app.models.similarity import SimilarityBand, SimilaritySignature
from app.similarity.minhash import index_rows

REBUILD_BATCH = 2000
_BANDS: Table = SimilarityBand.__table__  # type: ignore[assignment]
_SIGNATURES: Table = SimilaritySignature.__table__  # type: ignore[assignment]


async def index_new(
    session: AsyncSession, items: Sequence[tuple[uuid.UUID, Mapping[str, str]]]
) -> None:
    """Index recommendations that have no rows yet (just created): one bulk insert."""
    bands: list[dict[str, object]] = []
    signatures: list[dict[str, object]] = []
    for rec_id, texts in items:
        more_bands, more_signatures = index_rows(rec_id, texts)
        bands += more_bands
        signatures += more_signatures
    await bulk_insert(session, _BANDS, bands)
    await bulk_insert(session, _SIGNATURES, signatures)


async def reindex(session: AsyncSession, rec_id: uuid.UUID, texts: Mapping[str, str]) -> None:
    """Replace one recommendation's rows (its texts changed)."""
    await session.execute(delete(SimilarityBand).where(SimilarityBand.recommendation_id == rec_id))
    await session.execute(
        delete(SimilaritySignature).where(SimilaritySignature.recommendation_id == rec_id)
    )
    await index_new(session, [(rec_id, texts)])


async def rebuild(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Index every recommendation again, in batches (each its own transaction, so that memory
    stays flat whatever the corpus); the table is emptied first. Returns how many."""
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(SimilarityBand))
        await session.execute(delete(SimilaritySignature))
    done = 0
    after: uuid.UUID | None = None
    while True:
        async with sessionmaker() as session, session.begin():
            stmt = select(Recommendation.id, Recommendation.text).order_by(Recommendation.id)
            if after is not None:
                stmt = stmt.where(Recommendation.id > after)
            batch = (await session.execute(stmt.limit(REBUILD_BATCH))).all()
            if not batch:
                return done
            await index_new(session, [(rec_id, text) for rec_id, text in batch])
        done += len(batch)
        after = batch[-1][0]


async def indexed_count(session: AsyncSession) -> int:
    stmt = select(func.count(func.distinct(SimilarityBand.recommendation_id)))
    return int((await session.execute(stmt)).scalar_one())
