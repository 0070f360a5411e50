"""Keeping the near-duplicate index (similarity_signature) current: per recommendation, in bulk
for an import's new records, and rebuilt whole by `rectrack suggest rebuild`.

A recommendation has one row per language and State it concerns; the rows are written after the
recommendation's country links, from which the States are read."""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cpu import usable_cores
from app.imports.bulk import bulk_insert
from app.models.recommendation import Recommendation, RecommendationCountry
from app.models.similarity import SimilaritySignature
from app.similarity.minhash import LANGUAGE_BITS, shingles, signature_bytes

REBUILD_BATCH = 4000
_SIGNATURES: Table = SimilaritySignature.__table__  # type: ignore[assignment]
# The key of a recommendation that concerns no State (a special procedure's thematic report, an
# import without a country): it is compared with the others that concern none.
NO_STATE = ""
# Ids per IN list: well under every driver's limit on bound parameters.
_IDS_PER_QUERY = 1000

Signed = list[tuple[uuid.UUID, str, bytes]]


def signatures_of(items: Sequence[tuple[uuid.UUID, Mapping[str, str]]]) -> Signed:
    """(recommendation, language, signature) of the texts (the costly part: in a worker
    process during a rebuild)."""
    out = []
    for rec_id, texts in items:
        for language, body in texts.items():
            hashes = shingles(body, language)
            if len(hashes):
                out.append((rec_id, language, signature_bytes(hashes)))
    return out


async def _states(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    for start in range(0, len(ids), _IDS_PER_QUERY):
        rows = await session.execute(
            select(RecommendationCountry.recommendation_id, RecommendationCountry.country_iso3)
            .where(RecommendationCountry.recommendation_id.in_(ids[start : start + _IDS_PER_QUERY]))
        )  # fmt: skip
        for rec_id, iso3 in rows.all():
            found[rec_id].append(iso3)
    return found


async def _write(session: AsyncSession, signed: Signed) -> None:
    """One row per signature and State, in key order (a State's rows end up near each other)."""
    states = await _states(session, list(dict.fromkeys(rec_id for rec_id, _, _ in signed)))
    languages: dict[uuid.UUID, int] = defaultdict(int)
    for rec_id, language, _ in signed:
        languages[rec_id] |= LANGUAGE_BITS.get(language, 0)
    rows = sorted(
        (
            {"country_iso3": iso3, "language": language, "recommendation_id": rec_id,
             "signature": sig, "languages": languages[rec_id]}
            for rec_id, language, sig in signed
            for iso3 in states.get(rec_id) or [NO_STATE]
        ),
        key=lambda row: (row["country_iso3"], row["language"], str(row["recommendation_id"])),
    )  # fmt: skip
    await bulk_insert(session, _SIGNATURES, rows)


async def index_new(
    session: AsyncSession, items: Sequence[tuple[uuid.UUID, Mapping[str, str]]]
) -> None:
    """Index recommendations that have no rows yet (just created, their country links written):
    one bulk insert."""
    await _write(session, signatures_of(items))


async def reindex(session: AsyncSession, rec_id: uuid.UUID, texts: Mapping[str, str]) -> None:
    """Replace one recommendation's rows (its texts or its States changed; written first)."""
    await session.execute(
        delete(SimilaritySignature).where(SimilaritySignature.recommendation_id == rec_id)
    )
    await index_new(session, [(rec_id, texts)])


async def rebuild(sessionmaker: async_sessionmaker[AsyncSession], workers: int = 0) -> int:
    """Index every recommendation again, in batches in id order, each replacing its id range
    in a transaction of its own (memory stays flat; the index is never empty meanwhile).
    Signatures are computed by `workers` processes (default: one per core, at most four)
    while the previous batch is written."""
    workers = workers or usable_cores()
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
                batch = {
                    i: dict(t) for i, t in (await session.execute(stmt.limit(REBUILD_BATCH))).all()
                }
            if not batch:
                break
            items = list(batch.items())
            step = -(-len(items) // workers)
            parts = [items[k : k + step] for k in range(0, len(items), step)]
            computed = await asyncio.gather(
                *(loop.run_in_executor(pool, signatures_of, part) for part in parts)
            )
            if writing is not None:
                await writing
            signed = [row for part in computed for row in part]
            last = items[-1][0]
            writing = asyncio.create_task(_replace_range(sessionmaker, after, last, batch, signed))
            done += len(batch)
            after = last
        if writing is not None:
            await writing
    await _tidy(sessionmaker)
    return done


async def _tidy(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Fresh statistics, so that the planner reads a State's signatures as a range of the key;
    on PostgreSQL also the space of the rows each batch replaced (VACUUM, outside a
    transaction: left to autovacuum, a State's range spans twice the pages meanwhile)."""
    engine = sessionmaker.kw["bind"]
    async with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            tidy = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await tidy.execute(text(f"VACUUM (ANALYZE) {_SIGNATURES.name}"))
        else:
            await connection.execute(text(f"ANALYZE {_SIGNATURES.name}"))
            await connection.commit()


async def _replace_range(
    sessionmaker: async_sessionmaker[AsyncSession],
    after: uuid.UUID | None,
    last: uuid.UUID,
    read: Mapping[uuid.UUID, Mapping[str, str]],
    signed: Signed,
) -> None:
    """Replace the rows of the recommendations with ids in (after, last]. Edits since the
    batch was read wait for this or are waited for (a shared row lock on PostgreSQL; SQLite's
    one writer, taken first); a text that changed meanwhile, or a recommendation created in the
    range, is indexed as it is now."""
    in_range = [Recommendation.id <= last]
    rows_in_range = [SimilaritySignature.recommendation_id <= last]
    if after is not None:
        in_range.append(Recommendation.id > after)
        rows_in_range.append(SimilaritySignature.recommendation_id > after)
    clear = delete(SimilaritySignature).where(*rows_in_range)
    async with sessionmaker() as session, session.begin():
        sqlite = (await session.connection()).dialect.name == "sqlite"
        if sqlite:
            await session.execute(clear)
        now = await session.execute(
            select(Recommendation.id, Recommendation.text)
            .where(*in_range)
            .with_for_update(read=True)
        )
        current = {rec_id: dict(texts) for rec_id, texts in now.all()}
        if not sqlite:
            await session.execute(clear)
        changed = [(i, t) for i, t in current.items() if read.get(i) != t]
        stale = {i for i, _ in changed}
        kept = [row for row in signed if row[0] in current and row[0] not in stale]
        await _write(session, kept + signatures_of(changed))


async def indexed_count(session: AsyncSession) -> int:
    stmt = select(func.count(func.distinct(SimilaritySignature.recommendation_id)))
    return int((await session.execute(stmt)).scalar_one())
