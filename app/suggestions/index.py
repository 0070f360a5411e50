"""The suggestion index in the database: rebuilt whole by `rectrack suggest rebuild`, added to
by imports and accepted suggestions, read per request by every process."""

import heapq
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import LANGUAGES
from app.models.recommendation import Recommendation, RecommendationSdgGoal, RecommendationSdgTarget
from app.models.sdg import SdgTarget
from app.models.suggestion import SdgSuggestExemplar, SdgSuggestPacked, SdgSuggestVector
from app.suggestions import vectors
from app.suggestions.vectors import Sparse

BATCH = 2000


@dataclass
class Tagged:
    id: uuid.UUID
    text: dict[str, str]
    keys: set[str]  # target codes and "g<goal>" for every goal it serves


async def _tags(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, set[str]]:
    keys: dict[uuid.UUID, set[str]] = {i: set() for i in ids}
    targets = await session.execute(
        select(
            RecommendationSdgTarget.recommendation_id, RecommendationSdgTarget.target_code
        ).where(RecommendationSdgTarget.recommendation_id.in_(ids))
    )
    for rec_id, code in targets.all():
        keys[rec_id].add(code)
    goals = await session.execute(
        select(RecommendationSdgGoal.recommendation_id, RecommendationSdgGoal.goal_number).where(
            RecommendationSdgGoal.recommendation_id.in_(ids)
        )
    )
    for rec_id, goal in goals.all():
        keys[rec_id].add(f"g{goal}")
    return keys


async def tagged(
    session: AsyncSession, ids: Iterable[uuid.UUID] | None = None
) -> AsyncIterator[list[Tagged]]:
    """Batches of live tagged recommendations, newest first (all of them, or these), read by
    keyset so that no cursor stays open while the tags are read."""
    stmt = (
        select(Recommendation.publication_date, Recommendation.id, Recommendation.text)
        .where(~Recommendation.archived, Recommendation.sdg_goal_mask != 0)
        .order_by(Recommendation.publication_date.desc(), Recommendation.id.desc())
        .limit(BATCH)
    )
    if ids is not None:
        stmt = stmt.where(Recommendation.id.in_(list(ids)))
    after: tuple[object, uuid.UUID] | None = None
    while True:
        page = stmt
        if after is not None:
            page = page.where(
                tuple_(Recommendation.publication_date, Recommendation.id) < tuple_(*after)
            )
        rows = (await session.execute(page)).all()
        if not rows:
            return
        keys = await _tags(session, [row.id for row in rows])
        yield [Tagged(row.id, row.text, keys[row.id]) for row in rows]
        after = (rows[-1].publication_date, rows[-1].id)


def _row(lang: str, kind: str, code: str, documents: int, vector: Sparse) -> SdgSuggestVector:
    indices, weights = vectors.to_bytes(vector)
    return SdgSuggestVector(
        lang=lang, kind=kind, code=code, documents=documents, indices=indices, weights=weights
    )


async def rebuild(session: AsyncSession) -> dict[str, int]:
    """Build every language's model from the database: one pass over the tagged corpus for
    every language's document frequencies, then one per language present for its centroid sums,
    so that memory holds one language's sums only. Returns the recommendations used per
    language."""
    titles: dict[str, dict[str, str]] = dict(
        (await session.execute(select(SdgTarget.code, SdgTarget.title))).all()
    )
    await session.execute(delete(SdgSuggestExemplar))
    await session.execute(delete(SdgSuggestPacked))
    await session.execute(delete(SdgSuggestVector))
    frequencies = {lang: np.zeros(vectors.DIMENSION, np.int32) for lang in LANGUAGES}
    used = dict.fromkeys(LANGUAGES, 0)
    async for batch in tagged(session):
        for lang, frequency in frequencies.items():
            texts = [rec.text[lang] for rec in batch if rec.text.get(lang)]
            if texts:
                frequency += np.bincount(
                    vectors.features_batch(texts)[1], minlength=vectors.DIMENSION
                ).astype(np.int32)
                used[lang] += len(texts)
    for lang in LANGUAGES:
        documents = used[lang]
        idf = vectors.idf_from(frequencies.pop(lang).astype(np.int64), documents)
        if not documents:
            continue
        sums: dict[str, np.ndarray] = {}
        counts: dict[str, int] = {}
        exemplars: dict[str, list[tuple[uuid.UUID, Sparse]]] = {}
        async for batch in tagged(session):
            having = [rec for rec in batch if rec.text.get(lang)]
            weighed = vectors.weigh_batch([rec.text[lang] for rec in having], idf)
            for rec, vector in zip(having, weighed, strict=True):
                for key in rec.keys:
                    if key not in sums:
                        sums[key] = np.zeros(vectors.DIMENSION, np.float32)
                    sums[key][vector.indices] += vector.values
                    counts[key] = counts.get(key, 0) + 1
                    if not key.startswith("g"):
                        kept = exemplars.setdefault(key, [])
                        if len(kept) < vectors.EXEMPLARS:  # newest first
                            kept.append((rec.id, vectors.prune(vector.indices, vector.values, 400)))
        rows = [_row(lang, "idf", "", documents, Sparse(np.zeros(0, np.int32), idf))]
        for key, dense in sums.items():
            nonzero = np.flatnonzero(dense).astype(np.int32)
            rows.append(
                _row(
                    lang,
                    "goal" if key.startswith("g") else "target",
                    key,
                    counts[key],
                    vectors.prune(nonzero, dense[nonzero]),
                )
            )
        del sums
        for code, by_lang in titles.items():
            if by_lang.get(lang):
                rows.append(_row(lang, "text", code, 0, vectors.weigh(by_lang[lang], idf)))
        session.add_all(rows)
        for code, kept in exemplars.items():
            for rec_id, vector in kept:
                indices, weights = vectors.to_bytes(vector)
                session.add(
                    SdgSuggestExemplar(
                        lang=lang, code=code, recommendation_id=rec_id, indices=indices,
                        weights=weights,
                    )
                )  # fmt: skip
        await session.flush()
        await pack(session, lang)
        session.expunge_all()
    return {lang: count for lang, count in used.items() if count}


async def idf_for(session: AsyncSession, lang: str) -> tuple[vectors.Floats, int] | None:
    row = (
        await session.execute(
            select(SdgSuggestVector.weights, SdgSuggestVector.documents).where(
                SdgSuggestVector.lang == lang,
                SdgSuggestVector.kind == "idf",
                SdgSuggestVector.code == "",
            )
        )
    ).one_or_none()
    if row is None:
        return None
    return np.frombuffer(row.weights, "<f4"), row.documents


async def languages_built(session: AsyncSession) -> dict[str, int]:
    rows = await session.execute(
        select(SdgSuggestVector.lang, SdgSuggestVector.documents).where(
            SdgSuggestVector.kind == "idf"
        )
    )
    return dict(rows.all())


async def add(session: AsyncSession, ids: Iterable[uuid.UUID]) -> int:
    """Add these recommendations to the centroids of their tags (an import's new or changed
    records, an accepted suggestion): cheap, no pass over the corpus. IDF stays as the last
    rebuild left it; `suggest rebuild` refreshes everything, removals included."""
    ids = list(ids)
    built = await languages_built(session)
    if not ids or not built:
        return 0
    idfs: dict[str, vectors.Floats] = {}
    for lang in built:
        found = await idf_for(session, lang)
        if found is not None:
            idfs[lang] = found[0]
    added = 0
    for start in range(0, len(ids), BATCH):
        pending: dict[tuple[str, str, str], list[Sparse]] = {}
        new_exemplars: list[tuple[str, str, uuid.UUID, Sparse]] = []
        async for batch in tagged(session, ids[start : start + BATCH]):
            added += len(batch)
            for lang, idf in idfs.items():
                having = [rec for rec in batch if rec.text.get(lang)]
                weighed = vectors.weigh_batch([rec.text[lang] for rec in having], idf)
                for rec, vector in zip(having, weighed, strict=True):
                    for key in rec.keys:
                        kind = "goal" if key.startswith("g") else "target"
                        pending.setdefault((lang, kind, key), []).append(vector)
                        if kind == "target":
                            new_exemplars.append((lang, key, rec.id, vector))
        await _merge(session, pending)
        await _add_exemplars(session, new_exemplars)
        for lang in {lang for lang, _, _ in pending}:
            await pack(session, lang)
    return added


async def _merge(session: AsyncSession, pending: dict[tuple[str, str, str], list[Sparse]]) -> None:
    langs = {lang for lang, _, _ in pending}
    found = await session.scalars(
        select(SdgSuggestVector).where(
            SdgSuggestVector.lang.in_(langs), SdgSuggestVector.kind.in_(("target", "goal"))
        )
    )
    rows = {(row.lang, row.kind, row.code): row for row in found.all()}
    for (lang, kind, code), new in pending.items():
        row = rows.get((lang, kind, code))
        parts = [vectors.from_bytes(row.indices, row.weights)] if row is not None else []
        documents = row.documents if row is not None else 0
        total = vectors.sum_pruned([*parts, *new])
        indices, weights = vectors.to_bytes(total)
        if row is None:
            session.add(_row(lang, kind, code, len(new), total))
        else:
            row.indices, row.weights, row.documents = indices, weights, documents + len(new)
    await session.flush()


async def _add_exemplars(
    session: AsyncSession, new: list[tuple[str, str, uuid.UUID, Sparse]]
) -> None:
    """A target keeps its first exemplars; a new one joins while there is room."""
    if not new:
        return
    have = dict(
        (
            await session.execute(
                select(
                    SdgSuggestExemplar.lang + ":" + SdgSuggestExemplar.code, func.count()
                ).group_by(SdgSuggestExemplar.lang, SdgSuggestExemplar.code)
            )
        ).all()
    )
    present = set(
        (
            await session.execute(
                select(SdgSuggestExemplar.recommendation_id).where(
                    SdgSuggestExemplar.recommendation_id.in_({rec_id for _, _, rec_id, _ in new})
                )
            )
        ).scalars()
    )
    for lang, code, rec_id, vector in new:
        key = f"{lang}:{code}"
        if rec_id in present or have.get(key, 0) >= vectors.EXEMPLARS:
            continue
        have[key] = have.get(key, 0) + 1
        indices, weights = vectors.to_bytes(vectors.prune(vector.indices, vector.values, 400))
        session.add(
            SdgSuggestExemplar(
                lang=lang, code=code, recommendation_id=rec_id, indices=indices, weights=weights
            )
        )
    await session.flush()


async def pack(session: AsyncSession, lang: str) -> None:
    """Stack one language's vectors per kind into the rows a request reads."""
    rows = await session.execute(
        select(
            SdgSuggestVector.kind,
            SdgSuggestVector.code,
            SdgSuggestVector.indices,
            SdgSuggestVector.weights,
        )
        .where(SdgSuggestVector.lang == lang, SdgSuggestVector.kind != "idf")
        .order_by(SdgSuggestVector.kind, SdgSuggestVector.code)
    )
    by_kind: dict[str, list[tuple[str, Sparse]]] = {"target": [], "goal": [], "text": []}
    for kind, code, indices, weights in rows.all():
        by_kind[kind].append((code, vectors.from_bytes(indices, weights)))
    await session.execute(delete(SdgSuggestPacked).where(SdgSuggestPacked.lang == lang))
    for kind, items in by_kind.items():
        stacked = vectors.Centroids.stack(items)
        session.add(
            SdgSuggestPacked(
                lang=lang,
                kind=kind,
                codes=stacked.codes,
                indptr=stacked.indptr.astype("<i8").tobytes(),
                indices=stacked.indices.astype("<i4").tobytes(),
                weights=stacked.values.astype("<f4").tobytes(),
            )
        )
    await session.flush()


async def model(session: AsyncSession, lang: str) -> vectors.LanguageModel | None:
    """One language's model: four rows (the IDF and three packed kinds), no per-target work."""
    idf = await idf_for(session, lang)
    if idf is None:
        return None
    rows = await session.execute(
        select(
            SdgSuggestPacked.kind,
            SdgSuggestPacked.codes,
            SdgSuggestPacked.indptr,
            SdgSuggestPacked.indices,
            SdgSuggestPacked.weights,
        ).where(SdgSuggestPacked.lang == lang)
    )
    kinds = {
        kind: vectors.Centroids(
            list(codes),
            np.frombuffer(indptr, "<i8"),
            np.frombuffer(indices, "<i4"),
            np.frombuffer(weights, "<f4"),
        )
        for kind, codes, indptr, indices, weights in rows.all()
    }
    empty = vectors.Centroids.stack([])
    return vectors.LanguageModel(
        idf=idf[0],
        targets=kinds.get("target", empty),
        goals=kinds.get("goal", empty),
        texts=kinds.get("text", empty),
    )


async def nearest_exemplars(
    session: AsyncSession, lang: str, codes: list[str], query: Sparse, per_code: int = 3
) -> dict[str, list[tuple[uuid.UUID, float]]]:
    rows = await session.execute(
        select(
            SdgSuggestExemplar.code,
            SdgSuggestExemplar.recommendation_id,
            SdgSuggestExemplar.indices,
            SdgSuggestExemplar.weights,
        )
        .join(Recommendation, Recommendation.id == SdgSuggestExemplar.recommendation_id)
        # An exemplar archived since the last rebuild is not named as a reason.
        .where(
            SdgSuggestExemplar.lang == lang,
            SdgSuggestExemplar.code.in_(codes),
            Recommendation.archived.is_(False),
        )
    )
    found: dict[str, list[tuple[float, uuid.UUID]]] = {}
    for code, rec_id, indices, weights in rows.all():
        score = vectors.cosine(query, vectors.from_bytes(indices, weights).normalised())
        if score > 0:
            found.setdefault(code, []).append((score, rec_id))
    return {
        code: [(rec_id, score) for score, rec_id in heapq.nlargest(per_code, items)]
        for code, items in found.items()
    }
