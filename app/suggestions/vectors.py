"""Hashed character n-gram TF-IDF vectors and the per-target models that score suggestions.

Pure functions over numpy arrays: the service stores what they build in the database (one row per
language, target and kind) and every process reads it from there, so nothing large lives in a
process. Character n-grams (3 to 5) need no tokeniser and no model file, and serve Chinese and
Arabic as well as English.
"""

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

DIMENSION = 1 << 18
NGRAM_SIZES = (3, 4, 5)
# A centroid keeps its heaviest features only: the tail is noise and would make every row large.
CENTROID_FEATURES = 1000
# How many of a target's recommendations are kept to name in `because`.
EXEMPLARS = 12

# The blend (tuned on the UHRI dev records by bench/suggest_quality.py, docs/suggestions.md).
WEIGHT_TARGET = 1.0
WEIGHT_GOAL = 0.6
WEIGHT_TEXT = 0.35

Floats = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int32]

_NUMBERING = re.compile(r"[\d\u0660-\u0669\u06f0-\u06f9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_MIX = np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str) -> str:
    """Lower case, NFKC, no digits (paragraph numbers say nothing of the subject), one space."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NUMBERING.sub(" ", text)
    return " " + " ".join(_NOT_WORD.sub(" ", text).split()) + " "


def features_batch(texts: Sequence[str]) -> tuple[Ints, Ints, Floats]:
    """(document index, feature id, 1 + log tf) of many texts at once, sorted by document then
    feature: one set of numpy operations for the whole batch, not one per text."""
    normalised = [normalise(text) for text in texts]
    lengths = np.array([len(text) for text in normalised], dtype=np.int64)
    points = np.frombuffer("".join(normalised).encode("utf-32-le"), dtype=np.uint32)
    points = points.astype(np.uint64)
    owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    docs, hashes = [], []
    for n in NGRAM_SIZES:
        count = len(points) - n + 1
        if count <= 0:
            continue
        h = np.full(count, np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h = (h * np.uint64(1_000_003)) ^ points[k : k + count]
        # An n-gram belongs to one text: none spans the joint between two.
        inside = owner[:count] == owner[n - 1 : n - 1 + count]
        docs.append(owner[:count][inside])
        hashes.append(h[inside])
    if not hashes:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.float32)
    ids = ((np.concatenate(hashes) * _MIX) >> np.uint64(40)).astype(np.int64) & (DIMENSION - 1)
    unique, counts = np.unique(np.concatenate(docs) * DIMENSION + ids, return_counts=True)
    return (
        (unique // DIMENSION).astype(np.int32),
        (unique % DIMENSION).astype(np.int32),
        (1.0 + np.log(counts)).astype(np.float32),
    )


def features(text: str) -> tuple[Ints, Floats]:
    """Sorted feature ids and sublinear term frequencies (1 + log tf) of one text."""
    _, ids, tf = features_batch([text])
    return ids, tf


def weigh_batch(texts: Sequence[str], idf: Floats) -> list["Sparse"]:
    """The L2-normalised TF-IDF vectors of many texts."""
    docs, ids, tf = features_batch(texts)
    values = tf * idf[ids]
    norms = np.sqrt(np.bincount(docs, weights=values * values, minlength=len(texts)))
    norms[norms == 0] = 1.0
    values = (values / norms[docs]).astype(np.float32)
    bounds = np.searchsorted(docs, np.arange(len(texts) + 1))
    return [Sparse(ids[a:b], values[a:b]) for a, b in itertools.pairwise(bounds)]


def idf_from(document_frequency: npt.NDArray[np.int64], documents: int) -> Floats:
    return (np.log((documents + 1) / (document_frequency + 1)) + 1.0).astype(np.float32)


@dataclass
class Sparse:
    indices: Ints
    values: Floats

    def norm(self) -> float:
        return float(np.sqrt(np.dot(self.values, self.values)))

    def normalised(self) -> "Sparse":
        n = self.norm()
        return Sparse(self.indices, self.values / n if n else self.values)


def weigh(text: str, idf: Floats) -> Sparse:
    """The L2-normalised TF-IDF vector of a text."""
    ids, tf = features(text)
    return Sparse(ids, tf * idf[ids]).normalised()


def to_bytes(vector: Sparse) -> tuple[bytes, bytes]:
    return vector.indices.astype("<i4").tobytes(), vector.values.astype("<f4").tobytes()


def from_bytes(indices: bytes, values: bytes) -> Sparse:
    return Sparse(np.frombuffer(indices, "<i4"), np.frombuffer(values, "<f4"))


def prune(indices: Ints, values: Floats, keep: int = CENTROID_FEATURES) -> Sparse:
    if len(values) > keep:
        top = np.sort(np.argpartition(-values, keep)[:keep])
        indices, values = indices[top], values[top]
    return Sparse(indices.astype(np.int32), values.astype(np.float32))


def sum_pruned(parts: Sequence[Sparse]) -> Sparse:
    """The sum of sparse vectors, pruned to the centroid size: one pass however many. A part
    may be negative (a recommendation taken out of a centroid): what falls to zero or below
    (rounding, or a feature pruned since it was added) is dropped."""
    ids = np.concatenate([p.indices for p in parts])
    vals = np.concatenate([p.values for p in parts])
    unique, inverse = np.unique(ids, return_inverse=True)
    summed = np.zeros(len(unique), np.float32)
    np.add.at(summed, inverse, vals)
    positive = summed > 1e-6
    return prune(unique[positive].astype(np.int32), summed[positive])


def densify(query: Sparse) -> Floats:
    dense = np.zeros(DIMENSION, np.float32)
    dense[query.indices] = query.values
    return dense


def goal_of(code: str) -> int:
    return int(code.split(".", 1)[0])


@dataclass
class Centroids:
    """Normalised sparse vectors, one per code, stacked so that scoring is one pass."""

    codes: list[str]
    indptr: npt.NDArray[np.int64]
    indices: Ints
    values: Floats

    @classmethod
    def stack(cls, rows: Sequence[tuple[str, Sparse]]) -> "Centroids":
        codes = [code for code, _ in rows]
        vectors = [v.normalised() for _, v in rows]
        lengths = np.array([len(v.indices) for v in vectors], dtype=np.int64)
        indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        indices = np.concatenate([v.indices for v in vectors]) if vectors else np.zeros(0, np.int32)
        values = np.concatenate([v.values for v in vectors]) if vectors else np.zeros(0, np.float32)
        return cls(codes, indptr, indices.astype(np.int32), values.astype(np.float32))

    def cosines(self, query: Sparse, dense: Floats | None = None) -> dict[str, float]:
        if not self.codes or not len(query.indices):
            return {}
        if dense is None:
            dense = densify(query)
        products = self.values * dense[self.indices]
        sums = np.add.reduceat(np.concatenate([products, [0.0]]), self.indptr[:-1])
        # reduceat repeats the next value for an empty row: those rows score nothing.
        sums[self.indptr[:-1] == self.indptr[1:]] = 0.0
        return dict(zip(self.codes, sums.tolist(), strict=True))


@dataclass
class LanguageModel:
    """What scores one language's text: IDF, centroids of tagged recommendations per target and
    per goal, and the targets' own texts."""

    idf: Floats
    targets: Centroids
    goals: Centroids
    texts: Centroids

    def score(self, text: str) -> dict[str, float]:
        """A score in [0, 1] for every target that anything points to."""
        query = weigh(text, self.idf)
        dense = densify(query)
        by_target = self.targets.cosines(query, dense)
        by_goal = self.goals.cosines(query, dense)
        by_text = self.texts.cosines(query, dense)
        total = WEIGHT_TARGET + WEIGHT_GOAL + WEIGHT_TEXT
        scores: dict[str, float] = {}
        for code in set(by_target) | set(by_text):
            goal = goal_of(code)
            value = (
                WEIGHT_TARGET * by_target.get(code, 0.0)
                + WEIGHT_GOAL * by_goal.get(f"g{goal}", 0.0)
                + WEIGHT_TEXT * by_text.get(code, 0.0)
            ) / total
            # A text that is nearly a target's own words is that target, whatever the corpus
            # says: the square keeps ordinary overlaps (cosine 0.1 to 0.3) below the blend.
            value = max(value, by_text.get(code, 0.0) ** 2)
            if value > 0:
                scores[code] = value
        return scores


def build(
    documents: Iterable[tuple[str, Iterable[str]]],
    target_texts: dict[str, str],
    target_goal: dict[str, int],
) -> tuple[LanguageModel, dict[str, Sparse], dict[str, Sparse], dict[str, int], int]:
    """A model from (text, target codes) pairs of one language and the targets' texts.

    Returns the model and the raw (unnormalised) sums behind its centroids with their document
    counts, which is what the database keeps so that an import can add to them.
    """
    parsed: list[tuple[Ints, Floats, list[str]]] = []
    frequency = np.zeros(DIMENSION, np.int64)
    for text, codes in documents:
        ids, tf = features(text)
        if not len(ids):
            continue
        frequency[ids] += 1
        parsed.append((ids, tf, list(codes)))
    idf = idf_from(frequency, len(parsed))
    sums: dict[str, Sparse] = {}
    counts: dict[str, int] = {}
    buffers: dict[str, list[Sparse]] = {}
    for ids, tf, codes in parsed:
        vector = Sparse(ids, tf * idf[ids]).normalised()
        keys = set(codes) | {f"g{target_goal[c]}" for c in codes if c in target_goal}
        for key in keys:
            buffers.setdefault(key, []).append(vector)
            counts[key] = counts.get(key, 0) + 1
    for key, vectors in buffers.items():
        sums[key] = sum_pruned(vectors)
    texts = {code: weigh(text, idf) for code, text in target_texts.items() if text}
    return model_from(idf, sums, texts), sums, texts, counts, len(parsed)


def model_from(idf: Floats, sums: dict[str, Sparse], texts: dict[str, Sparse]) -> LanguageModel:
    targets = sorted((k, v) for k, v in sums.items() if not k.startswith("g"))
    goals = sorted((k, v) for k, v in sums.items() if k.startswith("g"))
    return LanguageModel(
        idf=idf,
        targets=Centroids.stack(targets),
        goals=Centroids.stack(goals),
        texts=Centroids.stack(sorted(texts.items())),
    )


def ranked(scores: dict[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def cosine(a: Sparse, b: Sparse) -> float:
    common, ia, ib = np.intersect1d(a.indices, b.indices, assume_unique=True, return_indices=True)
    if not len(common):
        return 0.0
    value = float(np.dot(a.values[ia], b.values[ib]))
    return value if math.isfinite(value) else 0.0
