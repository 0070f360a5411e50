"""`rectrack suggest rebuild`'s SDG half: every language's model built again from the database.

One pass over the tagged corpus counts every language's document frequencies; then one pass per
language present sums its centroids, so that memory holds one language's sums only. The n-gram
features, most of the cost, are computed by a pool of processes (one per core) while the next
batch is read; the results are taken in order, so the model is what one process would build.
"""

import asyncio
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TypeVar

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.cpu import usable_cores
from app.i18n import LANGUAGES
from app.models.sdg import SdgTarget
from app.models.suggestion import SdgSuggestExemplar, SdgSuggestPacked, SdgSuggestVector
from app.suggestions import vectors
from app.suggestions.index import Tagged, pack, tagged, vector_row
from app.suggestions.vectors import Floats, Ints, Sparse

T = TypeVar("T")
Batch = list[Tagged]


def _frequencies(texts_by_lang: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """The document frequencies of one batch's texts, per language (in a worker)."""
    return {
        lang: np.bincount(vectors.features_batch(texts)[1], minlength=vectors.DIMENSION).astype(
            np.int32
        )
        for lang, texts in texts_by_lang.items()
        if texts
    }


def _weighed(texts: list[str], idf: Floats) -> tuple[Ints, Ints, Floats]:
    """The L2-normalised TF-IDF vectors of one batch's texts, as (document, feature, value)
    arrays sorted by document (in a worker: cheaper to send back than one object per text)."""
    docs, ids, tf = vectors.features_batch(texts)
    values = tf * idf[ids]
    norms = np.sqrt(np.bincount(docs, weights=values * values, minlength=len(texts)))
    norms[norms == 0] = 1.0
    return docs, ids, (values / norms[docs]).astype(np.float32)


async def _in_order(
    batches: AsyncIterator[Batch],
    depth: int,
    task: Callable[[Batch], Awaitable[T]],
) -> AsyncIterator[tuple[Batch, T]]:
    """(batch, result) in the batches' order, with up to `depth` computed at once while the
    next batch is read."""
    pending: deque[tuple[Batch, asyncio.Future[T]]] = deque()
    async for batch in batches:
        pending.append((batch, asyncio.ensure_future(task(batch))))
        if len(pending) > depth:
            done, future = pending.popleft()
            yield done, await future
    while pending:
        done, future = pending.popleft()
        yield done, await future


class _Sums:
    """One language's centroid sums, document counts and newest exemplars, per key."""

    def __init__(self) -> None:
        self.sums: dict[str, np.ndarray] = {}
        self.counts: dict[str, int] = {}
        self.exemplars: dict[str, list[tuple[uuid.UUID, Sparse]]] = {}

    def add(self, having: Batch, weighed: tuple[Ints, Ints, Floats]) -> None:
        docs, ids, values = weighed
        bounds = np.searchsorted(docs, np.arange(len(having) + 1))
        for n, rec in enumerate(having):
            indices, weights = ids[bounds[n] : bounds[n + 1]], values[bounds[n] : bounds[n + 1]]
            for key in rec.keys:
                if key not in self.sums:
                    self.sums[key] = np.zeros(vectors.DIMENSION, np.float32)
                self.sums[key][indices] += weights
                self.counts[key] = self.counts.get(key, 0) + 1
                if not key.startswith("g"):
                    kept = self.exemplars.setdefault(key, [])
                    if len(kept) < vectors.EXEMPLARS:  # newest first
                        kept.append((rec.id, vectors.prune(indices, weights, 400)))


async def rebuild(session: AsyncSession, workers: int = 0) -> dict[str, int]:
    """Build every language's model from the database. Returns the recommendations used per
    language. `workers` processes compute the features, a batch each (default: one per core,
    at most four; 1 computes them in a thread, for tests)."""
    workers = workers or usable_cores()
    loop = asyncio.get_running_loop()
    titles: dict[str, dict[str, str]] = dict(
        (await session.execute(select(SdgTarget.code, SdgTarget.title))).all()
    )
    built: dict[str, list[SdgSuggestVector | SdgSuggestExemplar]] = {}
    pool: Executor = ProcessPoolExecutor(workers) if workers > 1 else ThreadPoolExecutor(1)
    with pool:

        async def count(batch: Batch) -> dict[str, np.ndarray]:
            texts: dict[str, list[str]] = {
                lang: [r.text[lang] for r in batch if r.text.get(lang)] for lang in LANGUAGES
            }
            return await loop.run_in_executor(pool, _frequencies, texts)

        frequencies: dict[str, np.ndarray] = {
            lang: np.zeros(vectors.DIMENSION, np.int64) for lang in LANGUAGES
        }
        used: dict[str, int] = dict.fromkeys(LANGUAGES, 0)
        async for batch, counted in _in_order(tagged(session), workers, count):
            for lang, frequency in counted.items():
                frequencies[lang] += frequency
                used[lang] += sum(1 for rec in batch if rec.text.get(lang))
        for lang in LANGUAGES:
            if not used[lang]:
                continue
            idf = vectors.idf_from(frequencies.pop(lang), used[lang])

            async def weigh(
                batch: Batch, lang: str = lang, idf: Floats = idf
            ) -> tuple[Ints, Ints, Floats]:
                texts = [rec.text[lang] for rec in batch if rec.text.get(lang)]
                return await loop.run_in_executor(pool, _weighed, texts, idf)

            sums = _Sums()
            async for batch, weighed in _in_order(tagged(session, lang=lang), workers, weigh):
                sums.add([rec for rec in batch if rec.text.get(lang)], weighed)
            built[lang] = _rows(lang, used[lang], idf, sums, titles)
    # Written at the end, in one short write: SQLite's one writer is held for the writing only,
    # not for the minutes of reading and computing (the rows are small: pruned centroids).
    await session.execute(delete(SdgSuggestExemplar))
    await session.execute(delete(SdgSuggestPacked))
    await session.execute(delete(SdgSuggestVector))
    for lang, rows in built.items():
        session.add_all(rows)
        await session.flush()
        await pack(session, lang)
        session.expunge_all()
    return {lang: count for lang, count in used.items() if count}


def _rows(
    lang: str,
    documents: int,
    idf: Floats,
    sums: _Sums,
    titles: dict[str, dict[str, str]],
) -> list[SdgSuggestVector | SdgSuggestExemplar]:
    rows: list[SdgSuggestVector | SdgSuggestExemplar] = [
        vector_row(lang, "idf", "", documents, Sparse(np.zeros(0, np.int32), idf))
    ]
    for key, dense in sums.sums.items():
        nonzero = np.flatnonzero(dense).astype(np.int32)
        kind = "goal" if key.startswith("g") else "target"
        rows.append(
            vector_row(lang, kind, key, sums.counts[key], vectors.prune(nonzero, dense[nonzero]))
        )
    for code, by_lang in titles.items():
        if by_lang.get(lang):
            rows.append(vector_row(lang, "text", code, 0, vectors.weigh(by_lang[lang], idf)))
    for code, kept in sums.exemplars.items():
        for rec_id, vector in kept:
            indices, weights = vectors.to_bytes(vector)
            rows.append(
                SdgSuggestExemplar(
                    lang=lang, code=code, recommendation_id=rec_id, indices=indices,
                    weights=weights,
                )
            )  # fmt: skip
    return rows
