"""How well near-duplicate detection separates a record's light edits from other records.

A labelled set is built at run time from UHRI's export files (read from the path given, as the
importer reads them; nothing is copied into the project), one language at a time:

- positives: every record against a light edit of itself (words dropped, changed or added, its
  clauses or sentences reordered, renumbered, another recommending State in brackets), several
  edits each, drawn with a fixed seed;
- negatives: every record against every other record of the same State and mechanism, in the
  same language (never against its own translations).

Each pair is scored exactly as the API scores it (app/similarity/minhash.py: Jaccard of
normalised character shingles), and whether the LSH bands would have found it at all is
counted too (a pair the bands miss is a miss whatever its score).

    .venv/bin/python -m bench.duplicates_quality ../shared/data/uhri/dev
"""

import argparse
import itertools
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

from app.config import Settings
from app.imports.readers import detect_format, read_records
from app.similarity.minhash import band_hashes, jaccard, shingles

LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")
_CLAUSE = re.compile(r"(?<=[,;:，；、。])\s*")
_FILLER = {
    "en": ["further", "effectively", "fully", "as a matter of priority", "in particular"],
    "fr": ["pleinement", "notamment", "effectivement", "en priorité"],
    "es": ["plenamente", "en particular", "efectivamente", "con carácter prioritario"],
    "ru": ["в полной мере", "в частности", "эффективно", "в приоритетном порядке"],
    "ar": ["بشكل كامل", "ولا سيما", "بفعالية", "على سبيل الأولوية"],
    "zh": ["充分", "特别是", "切实", "优先"],
}


def _words(text: str, language: str) -> list[str]:
    # Chinese has no spaces: edit it two characters at a time.
    if language == "zh":
        return [text[i : i + 2] for i in range(0, len(text), 2)]
    return text.split()


def _join(words: list[str], language: str) -> str:
    return ("" if language == "zh" else " ").join(words)


def light_edit(text: str, language: str, rnd: random.Random) -> str:
    """One or two light edits of the kind a later cycle or another body makes."""
    edits = rnd.sample(["drop", "change", "add", "reorder", "renumber"], k=rnd.choice([1, 2]))
    for edit in edits:
        words = _words(text, language)
        n = len(words)
        if edit == "drop" and n > 6:
            for _ in range(max(1, n // 15)):
                del words[rnd.randrange(len(words))]
        elif edit == "change" and n > 3:
            for _ in range(max(1, n // 15)):
                words[rnd.randrange(len(words))] = rnd.choice(_FILLER[language])
        elif edit == "add":
            words.insert(rnd.randrange(n + 1), rnd.choice(_FILLER[language]))
        elif edit == "reorder":
            clauses = [c for c in _CLAUSE.split(text) if c]
            if len(clauses) > 1:
                i, j = rnd.sample(range(len(clauses)), 2)
                clauses[i], clauses[j] = clauses[j], clauses[i]
                text = ("" if language == "zh" else " ").join(clauses)
                continue
            words = words[n // 2 :] + words[: n // 2]
        elif edit == "renumber":
            text = f"{rnd.randint(90, 160)}.{rnd.randint(1, 250)} " + re.sub(
                r"^\s*[\d.]+\s*", "", text
            )
            continue
        text = _join(words, language)
    return text


def load(directory: Path) -> dict[str, list[dict[str, object]]]:
    records: dict[str, list[dict[str, object]]] = {}
    for language in LANGUAGES:
        path = directory / f"export-full-{language}.json"
        if path.exists():
            records[language] = [raw for _, raw in read_records(path, detect_format(path))]
    return records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("directory", type=Path, help="UHRI export files (export-full-LL.json)")
    parser.add_argument("--edits", type=int, default=3, help="light edits per record")
    parser.add_argument("--threshold", type=float, default=None)
    args = parser.parse_args()
    threshold = args.threshold if args.threshold is not None else Settings().duplicate_threshold
    rnd = random.Random(20)
    overall: defaultdict[str, int] = defaultdict(int)
    print(f"threshold {threshold}")
    print("lang  pos   neg    recall  precision  LSH-missed  neg>=thr  pos-min  neg-max")
    for language, raws in load(args.directory).items():
        texts = [str(r.get("Text") or "") for r in raws]
        sets = [shingles(t, language) for t in texts]
        bands = [set(band_hashes(s, language)) for s in sets]
        pos_scores, neg_scores, missed = [], [], 0
        for text, own, own_bands in zip(texts, sets, bands, strict=True):
            for _ in range(args.edits):
                edited = shingles(light_edit(text, language, rnd), language)
                if not own_bands & set(band_hashes(edited, language)):
                    missed += 1
                    pos_scores.append(0.0)
                else:
                    pos_scores.append(jaccard(own, edited))
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, raw in enumerate(raws):
            body = str(raw.get("Body") or "")
            for country in raw.get("Countries") or []:  # type: ignore[attr-defined]
                groups[(str(country), body)].append(i)
        pairs = {tuple(sorted(p)) for g in groups.values() for p in itertools.combinations(g, 2)}
        for i, j in sorted(pairs):
            found = bands[i] & bands[j]
            neg_scores.append(jaccard(sets[i], sets[j]) if found else 0.0)
        tp = sum(s >= threshold for s in pos_scores)
        fp = sum(s >= threshold for s in neg_scores)
        recall = tp / len(pos_scores)
        precision = tp / (tp + fp) if tp + fp else 1.0
        print(
            f"{language:4}  {len(pos_scores):4}  {len(neg_scores):5}  {recall:6.3f}  "
            f"{precision:9.3f}  {missed:10}  {fp:8}  {min(pos_scores):7.3f}  "
            f"{max(neg_scores, default=0):7.3f}"
        )
        for key, value in (("tp", tp), ("fp", fp), ("pos", len(pos_scores))):
            overall[key] += value
    recall = overall["tp"] / overall["pos"]
    precision = overall["tp"] / (overall["tp"] + overall["fp"])
    print(f"all   recall {recall:.3f}  precision {precision:.3f}")
    return 0 if precision >= 0.95 and recall >= 0.90 else 1


if __name__ == "__main__":
    sys.exit(main())
