"""A recommendation's near-duplicate candidates: the signatures of the other recommendations to
the States it concerns (a near-duplicate is the same request made again to the same State), each
once, in the first of its languages that the other has (the language the pair is compared in,
minhash.shared_language).

Each State and language is one range of similarity_signature's key. A State has thousands of
recommendations: on PostgreSQL they come back as one value (16-byte id and signature, row
after row) instead of thousands of rows, whose decoding was most of the request's time.
"""

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import LargeBinary, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.recommendation import RecommendationCountry
from app.models.similarity import SimilaritySignature
from app.similarity.index import NO_STATE
from app.similarity.minhash import LANGUAGE_BITS, LANGUAGE_ORDER, PERMUTATIONS

_ID = 16
_SIGNATURE = PERMUTATIONS * 4


@dataclass
class Signatures:
    """Recommendations (16-byte ids, back to back) and their signatures (a row each)."""

    ids: bytes
    matrix: np.ndarray

    @classmethod
    def of_rows(cls, rows: Sequence[tuple[uuid.UUID, bytes]]) -> "Signatures":
        ids = b"".join(rec_id.bytes for rec_id, _ in rows)
        return cls(ids, _matrix(b"".join(bytes(value) for _, value in rows), len(rows)))

    @classmethod
    def of_packed(cls, packed: bytes, unique: bool) -> "Signatures":
        """From id||signature, row after row; once each (a recommendation to two of the States
        comes twice) unless `unique`."""
        table = np.frombuffer(packed, np.uint8).reshape(-1, _ID + _SIGNATURE)
        if not unique:
            keys = np.ascontiguousarray(table[:, :_ID]).view(f"V{_ID}").ravel()
            table = table[np.sort(np.unique(keys, return_index=True)[1])]
        return cls(table[:, :_ID].tobytes(), _matrix(table[:, _ID:].tobytes(), len(table)))

    def __len__(self) -> int:
        return len(self.matrix)

    def id(self, n: int) -> uuid.UUID:
        return uuid.UUID(bytes=self.ids[_ID * n : _ID * (n + 1)])


def _matrix(signatures: bytes, rows: int) -> np.ndarray:
    return np.frombuffer(signatures, "<u4").reshape(rows, PERMUTATIONS)


def ordered_languages(languages: Iterable[str]) -> list[str]:
    """A text's languages in the order a pair is compared in (minhash.shared_language)."""
    known = [language for language in LANGUAGE_ORDER if language in languages]
    return known + sorted(set(languages) - set(LANGUAGE_ORDER))


async def read(
    session: AsyncSession, rec_id: uuid.UUID, languages: Sequence[str]
) -> dict[str, Signatures]:
    """The candidates of recommendation `rec_id`, whose texts are in `languages` (ordered),
    by the language each is compared in: a row is kept when its recommendation has none of
    the languages ranked before the row's (its `languages` bitmask)."""
    states = list((await session.scalars(
        select(RecommendationCountry.country_iso3)
        .where(RecommendationCountry.recommendation_id == rec_id)
    )).all()) or [NO_STATE]  # fmt: skip
    sig = SimilaritySignature
    ranked = [language for language in languages if language in LANGUAGE_BITS]
    before = {
        language: sum(LANGUAGE_BITS[x] for x in ranked[:n]) for n, language in enumerate(ranked)
    }
    where = (
        sig.country_iso3.in_(states),
        sig.language.in_(ranked),
        sig.recommendation_id != rec_id,
        sig.languages.op("&")(case(before, value=sig.language, else_=0)) == 0,
    )
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        row = func.uuid_send(sig.recommendation_id).op("||", return_type=LargeBinary)(sig.signature)
        empty = literal(b"", LargeBinary)
        # One aggregate per language (FILTER), not GROUP BY: that sorted the wide rows first.
        packed = await connection.execute(
            select(
                *(func.string_agg(row, empty).filter(sig.language == lang) for lang in ranked)
            ).where(*where)
        )
        unique = len(states) == 1
        values = packed.one()
        return {
            language: Signatures.of_packed(value, unique)
            for language, value in zip(ranked, values, strict=True)
            if value
        }
    rows = await connection.execute(
        select(sig.language, sig.recommendation_id, sig.signature).where(*where).distinct()
    )
    by_language: dict[str, list[tuple[uuid.UUID, bytes]]] = {}
    for language, other_id, value in rows.all():
        by_language.setdefault(language, []).append((other_id, value))
    return {language: Signatures.of_rows(items) for language, items in by_language.items()}


def likely(
    own: Mapping[str, np.ndarray], found: Mapping[str, Signatures], at_least: float
) -> list[tuple[float, uuid.UUID]]:
    """(estimated similarity, id) of the candidates estimated at least `at_least` similar:
    the share of equal MinHash values with `own` signature of the language each was read in."""
    out: list[tuple[float, uuid.UUID]] = []
    for language, signatures in found.items():
        if not len(signatures):
            continue
        shares = (signatures.matrix == own[language]).mean(axis=1)
        for n in np.flatnonzero(shares >= at_least).tolist():
            out.append((float(shares[n]), signatures.id(n)))
    return out
