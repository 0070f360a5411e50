"""Keeping the near-duplicate index (similarity_band) current: per recommendation, in bulk for
an import's new records, and rebuilt whole by `rectrack similar rebuild`."""

import asyncio
import os
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.imports.bulk import bulk_insert
from app.models.recommendation import Recommendation
from app.models.similarity import SimilarityBand, SimilaritySignature
from app.similarity.minhash import bands_of, index_rows, shingles, signature_bytes

REBUILD_BATCH = 4000
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


def _signatures_of(
    batch: list[tuple[uuid.UUID, dict[str, str]]],
) -> list[tuple[uuid.UUID, str, bytes]]:
    """The signatures of a batch's texts (in a worker process: the costly part)."""
    out = []
    for rec_id, texts in batch:
        for language, body in texts.items():
            hashes = shingles(body, language)
            if len(hashes):
                out.append((rec_id, language, signature_bytes(hashes)))
    return out


async def _write(
    sessionmaker: async_sessionmaker[AsyncSession], signed: list[tuple[uuid.UUID, str, bytes]]
) -> None:
    bands = [
        {"recommendation_id": rec_id, "language": language, "band": band, "hash": value}
        for rec_id, language, sig in signed
        for band, value in enumerate(bands_of(sig, language))
    ]
    signatures = [
        {"recommendation_id": rec_id, "language": language, "signature": sig}
        for rec_id, language, sig in signed
    ]
    async with sessionmaker() as session, session.begin():
        await bulk_insert(session, _BANDS, bands)
        await bulk_insert(session, _SIGNATURES, signatures)


async def rebuild(sessionmaker: async_sessionmaker[AsyncSession], workers: int = 0) -> int:
    """Index every recommendation again, in batches, each written in its own transaction (memory
    stays flat whatever the corpus); the tables are emptied first. Signatures are computed by
    `workers` processes (default: one per core) while the previous batch is written."""
    async with sessionmaker() as session, session.begin():
        await session.execute(delete(SimilarityBand))
        await session.execute(delete(SimilaritySignature))
    workers = workers or os.cpu_count() or 1
    loop = asyncio.get_running_loop()
    done = 0
    after: uuid.UUID | None = None
    writing: asyncio.Task[None] | None = None
    with ProcessPoolExecutor(workers) as pool:
        while True:
            async with sessionmaker() as session:
                stmt = select(Recommendation.id, Recommendation.text).order_by(Recommendation.id)
                if after is not None:
                    stmt = stmt.where(Recommendation.id > after)
                batch = [
                    (i, dict(t))
                    for i, t in (await session.execute(stmt.limit(REBUILD_BATCH))).all()
                ]
            if not batch:
                break
            step = -(-len(batch) // workers)
            parts = [batch[k : k + step] for k in range(0, len(batch), step)]
            computed = await asyncio.gather(
                *(loop.run_in_executor(pool, _signatures_of, part) for part in parts)
            )
            if writing is not None:
                await writing
            writing = asyncio.create_task(_write(sessionmaker, [s for p in computed for s in p]))
            done += len(batch)
            after = batch[-1][0]
        if writing is not None:
            await writing
    # Fresh statistics: without them PostgreSQL's planner guesses that a hash matches
    # thousands of rows and scans the whole table instead of the hash index.
    async with sessionmaker() as session, session.begin():
        for table in (_BANDS, _SIGNATURES):
            await session.execute(text(f"ANALYZE {table.name}"))
    return done


async def indexed_count(session: AsyncSession) -> int:
    stmt = select(func.count(func.distinct(SimilarityBand.recommendation_id)))
    return int((await session.execute(stmt)).scalar_one())
