"""How well SDG suggestions do on real UHRI records: k-fold over the dev set, per language.

    .venv/bin/python -m bench.suggest_quality /work/shared/data/uhri/dev [--folds 5]

Each record is tested once, by a model built from the other folds' records (one language's text
only) and the target texts of the seeds. Goal level ranks goals by their best target; the
baseline always suggests the training folds' most frequent goals (targets). Nothing from the data
folder is copied into the project: it is read at run time.
"""

import argparse
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.suggestions import vectors
from app.suggestions.seeds import target_titles

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")


Record = tuple[str, set[str], set[int]]


def load(folder: Path, lang: str) -> list[Record]:
    """(text, target codes, goals) per record, the tags read by code as the importer does."""
    records = json.loads((folder / f"export-full-{lang}.json").read_text("utf-8"))
    out = []
    for record in records:
        targets: set[str] = set()
        goals: set[int] = set()
        for label in record.get("Sdgs") or []:
            code = label.split(" ", 1)[0].strip()
            if "." in code:
                targets.add(code)
                goals.add(int(code.split(".")[0]))
            elif code.isdigit():
                goals.add(int(code))
        out.append((record.get("Text") or "", targets, goals))
    return out


def _recall(ranked: Sequence[object], truth: set[Any], k: int = 3) -> float:
    return len(set(ranked[:k]) & truth) / len(truth)


def _goals_of(ranked_targets: list[str]) -> list[int]:
    seen: dict[int, None] = {}
    for code in ranked_targets:
        seen.setdefault(int(code.split(".")[0]), None)
    return list(seen)


def evaluate(
    records: list[Record], titles: dict[str, dict[str, str]], lang: str, folds: int
) -> dict[str, float]:
    target_goal = {code: int(code.split(".")[0]) for code in titles}
    order = list(range(len(records)))
    random.Random(20).shuffle(order)
    sums = dict.fromkeys(
        ["g_r3", "g_p1", "t_r3", "t_p1", "b_g_r3", "b_g_p1", "b_t_r3", "b_t_p1"], 0.0
    )
    n_goal = n_target = 0
    for fold in range(folds):
        test = set(order[fold::folds])
        train = [records[i] for i in order if i not in test]
        documents = [(text, targets | {f"g{g}" for g in goals}) for text, targets, goals in train]
        texts = {code: by_lang.get(lang, "") for code, by_lang in titles.items()}
        model = vectors.build(documents, texts, target_goal)[0]
        goal_counts: dict[int, int] = {}
        target_counts: dict[str, int] = {}
        for _, targets, goals in train:
            for g in goals:
                goal_counts[g] = goal_counts.get(g, 0) + 1
            for t in targets:
                target_counts[t] = target_counts.get(t, 0) + 1
        base_goals = sorted(goal_counts, key=lambda g: -goal_counts[g])
        base_targets = sorted(target_counts, key=lambda t: -target_counts[t])
        for i in sorted(test):
            text, targets, goals = records[i]
            ranked = [code for code, _ in vectors.ranked(model.score(text))]
            if goals:
                n_goal += 1
                ranked_goals = _goals_of(ranked)
                sums["g_r3"] += _recall(ranked_goals, goals)
                sums["g_p1"] += float(bool(ranked_goals) and ranked_goals[0] in goals)
                sums["b_g_r3"] += _recall(base_goals, goals)
                sums["b_g_p1"] += float(base_goals[0] in goals)
            if targets:
                n_target += 1
                sums["t_r3"] += _recall(ranked, targets)
                sums["t_p1"] += float(bool(ranked) and ranked[0] in targets)
                sums["b_t_r3"] += _recall(base_targets, targets)
                sums["b_t_p1"] += float(base_targets[0] in targets)
    result = {k: v / (n_goal if k.startswith(("g", "b_g")) else n_target) for k, v in sums.items()}
    result["tested"] = n_goal
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path, help="UHRI dev folder (export-full-{lang}.json)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--lang", action="append", choices=LANGUAGES)
    args = parser.parse_args()
    titles = target_titles()
    print(
        f"{args.folds}-fold; recall@3 = share of a record's true goals (targets) among the first "
        "3 suggested; precision@1 = the first suggestion is right"
    )
    print(
        "lang | records | goal r@3 | goal p@1 | target r@3 | target p@1 |"
        " baseline goal r@3 | goal p@1 | target r@3 | target p@1 | seconds"
    )
    for lang in args.lang or LANGUAGES:
        started = time.perf_counter()
        r = evaluate(load(args.folder, lang), titles, lang, args.folds)
        print(
            f"{lang} | {r['tested']} | {r['g_r3']:.3f} | {r['g_p1']:.3f} | {r['t_r3']:.3f} |"
            f" {r['t_p1']:.3f} | {r['b_g_r3']:.3f} | {r['b_g_p1']:.3f} | {r['b_t_r3']:.3f} |"
            f" {r['b_t_p1']:.3f} | {time.perf_counter() - started:.1f}"
        )


if __name__ == "__main__":
    main()
