"""Near-duplicate text: normalised character shingles, MinHash signatures and LSH band hashes.

Character shingles serve every script alike (Chinese and Arabic have no spaces to split words
on). A text's MinHash signature estimates the Jaccard similarity of two shingle sets; cut into
bands, two texts share a band hash with a probability that rises steeply with that similarity,
so candidates come from an equality join on stored band hashes and are then rescored exactly
(`jaccard` on the shingle sets, computed again from the texts, which the database keeps).

Everything is deterministic (fixed seeds, no Python `hash()`), so every process computes the
same hashes and the index in the database is shared by all of them.
"""

import hashlib
import re
import unicodedata
from collections.abc import Iterable

import numpy as np

# Languages in the order a pair is compared in: the first one both texts have.
LANGUAGE_ORDER = ("en", "fr", "es", "ru", "ar", "zh")
# A recommendation's languages as a bitmask (bit n: LANGUAGE_ORDER[n]), kept on each of its rows.
LANGUAGE_BITS = {language: 1 << n for n, language in enumerate(LANGUAGE_ORDER)}
# Shingle width in characters: a Chinese character carries about what four Latin letters do.
SHINGLE = {"zh": 3}
DEFAULT_SHINGLE = 5
BANDS = 24
ROWS = 3
PERMUTATIONS = BANDS * ROWS

_rng = np.random.default_rng(20_2026)
# Multiply-shift hashing (odd 64-bit multipliers): one universal hash per permutation.
_A = _rng.integers(1, 2**63, size=PERMUTATIONS, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
_B = _rng.integers(0, 2**63, size=PERMUTATIONS, dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)

# UHRI prefixes UPR recommendations with the report's paragraph number ("132.90 Repeal …") and
# ends them with the recommending State ("(New Zealand);"): neither says what is recommended.
_LEADING_NUMBER = re.compile(r"^\s*[\d.]+\s*")
_TRAILING_STATE = re.compile(r"[\(（][^()（）]{1,80}[\)）]\s*[;.；。]?\s*$")
_NOT_WORD = re.compile(r"[\W_]+")


def normalise(text: str, language: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _TRAILING_STATE.sub("", _LEADING_NUMBER.sub("", text))
    text = _NOT_WORD.sub(" ", text).strip()
    if language == "zh":
        text = text.replace(" ", "")
    return text


def shingles(text: str, language: str) -> np.ndarray:
    """The distinct 64-bit hashes of the normalised text's character shingles."""
    norm = normalise(text, language)
    k = SHINGLE.get(language, DEFAULT_SHINGLE)
    if not norm:
        return np.zeros(0, dtype=np.uint64)
    codes = np.frombuffer(norm.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(codes) < k:
        codes = np.concatenate([codes, np.zeros(k - len(codes), dtype=np.uint64)])
    # A polynomial hash of each window of k code points (wrapping arithmetic is the point).
    windows = np.lib.stride_tricks.sliding_window_view(codes, k)
    hashed = np.zeros(len(windows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for i in range(k):
            hashed = hashed * _MIX + windows[:, i] + np.uint64(i + 1)
        hashed ^= hashed >> np.uint64(29)
    unique: np.ndarray = np.unique(hashed)
    return unique


def signature(hashes: np.ndarray) -> np.ndarray:
    """MinHash: for each permutation, the least hash of the shingles (upper 32 bits kept)."""
    with np.errstate(over="ignore"):
        permuted = hashes[:, None] * _A[None, :] + _B[None, :]
    least: np.ndarray = (permuted >> np.uint64(32)).min(axis=0)
    return least


def signature_bytes(hashes: np.ndarray) -> bytes:
    return bytes(signature(hashes).astype("<u4").tobytes())


def _salts(language: str) -> np.ndarray:
    """One 64-bit starting value per band of a language: equal band hashes then mean the same
    band of the same language (the index joins on the hash alone)."""
    if language not in _SALTS:
        salts = [
            hashlib.blake2b(f"rectrack-lsh:{language}:{band}".encode(), digest_size=8).digest()
            for band in range(BANDS)
        ]
        _SALTS[language] = np.frombuffer(b"".join(salts), dtype="<u8").copy()
    return _SALTS[language]


_SALTS: dict[str, np.ndarray] = {}
_PRIME = np.uint64(0x100000001B3)


def bands_of(sig: bytes, language: str) -> list[int]:
    """One signed 64-bit hash per band of a signature (ROWS values each), vectorised."""
    values = np.frombuffer(sig, dtype="<u4").astype(np.uint64).reshape(BANDS, ROWS)
    hashed = _salts(language).copy()
    with np.errstate(over="ignore"):
        for row in range(ROWS):
            hashed = (hashed ^ values[:, row]) * _PRIME
            hashed ^= hashed >> np.uint64(29)
    result: list[int] = hashed.view(np.int64).tolist()
    return result


def band_hashes(hashes: np.ndarray, language: str) -> list[int]:
    if len(hashes) == 0:
        return []
    return bands_of(signature_bytes(hashes), language)


def estimate(one: bytes, two: bytes) -> float:
    """The share of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    a = np.frombuffer(one, dtype="<u4")
    b = np.frombuffer(two, dtype="<u4")
    return float((a == b).mean())


def jaccard(one: np.ndarray, two: np.ndarray) -> float:
    if len(one) == 0 or len(two) == 0:
        return 0.0
    shared = len(np.intersect1d(one, two, assume_unique=True))
    return shared / (len(one) + len(two) - shared)


def shared_language(one: Iterable[str], two: Iterable[str]) -> str | None:
    """The language a pair is compared in: the first of LANGUAGE_ORDER both have (then any)."""
    common = set(one) & set(two)
    for language in LANGUAGE_ORDER:
        if language in common:
            return language
    return min(common) if common else None
