"""The suggestion index in the database: rebuilt whole by `rectrack suggest rebuild`
(app/suggestions/rebuild.py), added to by imports and accepted suggestions, read per request by
every process."""

import heapq
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.recommendation import Recommendation, RecommendationSdgGoal, RecommendationSdgTarget
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
    session: AsyncSession, ids: Iterable[uuid.UUID] | None = None, lang: str | None = None
) -> AsyncIterator[list[Tagged]]:
    """Batches of live tagged recommendations, newest first (all of them, or these), read by
    keyset so that no cursor stays open while the tags are read. With `lang`, only those with a
    text in that language, and only that text (a rebuild's pass per language reads no more)."""
    text = Recommendation.text[lang].as_string() if lang else Recommendation.text
    stmt = (
        select(Recommendation.publication_date, Recommendation.id, text.label("text"))
        .where(~Recommendation.archived, Recommendation.sdg_goal_mask != 0)
        .order_by(Recommendation.publication_date.desc(), Recommendation.id.desc())
        .limit(BATCH)
    )
    if lang:
        stmt = stmt.where(text.is_not(None))
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
        yield [Tagged(row.id, {lang: row.text} if lang else row.text, keys[row.id]) for row in rows]
        after = (rows[-1].publication_date, rows[-1].id)


def vector_row(lang: str, kind: str, code: str, documents: int, vector: Sparse) -> SdgSuggestVector:
    indices, weights = vectors.to_bytes(vector)
    return SdgSuggestVector(
        lang=lang, kind=kind, code=code, documents=documents, indices=indices, weights=weights
    )


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
    await _take_turn(session, built)
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


async def _take_turn(session: AsyncSession, langs: Iterable[str]) -> None:
    """Writers of these languages' centroids take turns from here to their commit, so that two
    edits or imports never both read a centroid and each write back their own sum: a write on
    the languages' IDF rows (a row lock on PostgreSQL; SQLite's one writer, whose transaction
    begins with it)."""
    await session.execute(
        update(SdgSuggestVector)
        .where(SdgSuggestVector.kind == "idf", SdgSuggestVector.lang.in_(sorted(langs)))
        .values(documents=SdgSuggestVector.documents)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Contribution:
    """What one recommendation adds to the centroids: its texts, under its keys (target codes
    and "g<goal>"). A recommendation archived or without tags adds nothing (None)."""

    texts: dict[str, str]
    keys: frozenset[str]


async def replace(
    session: AsyncSession,
    rec_id: uuid.UUID,
    before: Contribution | None,
    after: Contribution | None,
) -> None:
    """Move one recommendation's contribution after an edit (tags added or removed, text
    changed, archived or restored): `before` out of its centroids and exemplars, `after` in,
    so that the index follows without a rebuild. Only what differs moves."""
    if before == after:
        return
    built = await languages_built(session)
    if not built:
        return
    await _take_turn(session, built)
    removed: dict[tuple[str, str, str], list[Sparse]] = {}
    added: dict[tuple[str, str, str], list[Sparse]] = {}
    new_exemplars: list[tuple[str, str, uuid.UUID, Sparse]] = []
    gone: list[tuple[str, str]] = []
    for lang in built:
        old = before.texts.get(lang) if before else None
        new = after.texts.get(lang) if after else None
        old_keys = before.keys if before and old else frozenset()
        new_keys = after.keys if after and new else frozenset()
        if old == new:  # the same vector: only the keys that differ move
            old_keys, new_keys = old_keys - new_keys, new_keys - old_keys
        found = await idf_for(session, lang)
        if found is None or not (old_keys or new_keys):
            continue
        for text, keys, pending in ((old, old_keys, removed), (new, new_keys, added)):
            if not keys or not text:
                continue
            vector = vectors.weigh(text, found[0])
            for key in keys:
                kind = "goal" if key.startswith("g") else "target"
                pending.setdefault((lang, kind, key), []).append(vector)
                if kind == "target" and pending is added:
                    new_exemplars.append((lang, key, rec_id, vector))
                elif kind == "target":
                    gone.append((lang, key))
    for lang, code in gone:
        await session.execute(
            delete(SdgSuggestExemplar).where(
                SdgSuggestExemplar.lang == lang,
                SdgSuggestExemplar.code == code,
                SdgSuggestExemplar.recommendation_id == rec_id,
            )
        )
    await _merge(session, removed, sign=-1)
    await _merge(session, added)
    await _add_exemplars(session, new_exemplars)
    for lang in {lang for lang, _, _ in [*removed, *added]}:
        await pack(session, lang)


async def _merge(
    session: AsyncSession, pending: dict[tuple[str, str, str], list[Sparse]], sign: int = 1
) -> None:
    """Add (sign 1) or take out (sign -1) these vectors to their centroids' sums."""
    if not pending:
        return
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
        if sign < 0:
            new = [Sparse(vector.indices, -vector.values) for vector in new]
            if row is None:
                continue
        total = vectors.sum_pruned([*parts, *new])
        indices, weights = vectors.to_bytes(total)
        if row is None:
            session.add(vector_row(lang, kind, code, len(new), total))
        else:
            row.indices, row.weights = indices, weights
            row.documents = max(0, documents + sign * len(new))
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
