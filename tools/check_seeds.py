#!/usr/bin/env python3
"""Check the reference-data seeds in seeds/ against the study data in shared/data.

Usage: python tools/check_seeds.py [--data DIR]   (default DIR: <repo>/../shared/data)
Prints one line per check; exits 1 if any check fails, 0 if all pass or the data dir is absent.
Standard library only (PyYAML is used when installed, else a small parser for the SDG files).
"""

import argparse
import csv
import importlib
import json
import re
import sys
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
LANGS = ("en", "fr", "es", "ar", "ru", "zh")
SRC_DIR = {"en": "en", "fr": "fr", "es": "es", "ar": "ar", "ru": "ru", "zh": "zh-Hans"}
# Official SDG colours, goals 1..17.
COLOURS = "E5243B DDA63A 4C9F38 C5192D FF3A21 26BDE2 FCC30B A21942 FD6925 DD1367 FD9D24 BF8B2E"
COLOURS += " 3F7E44 0A97D9 56C02B 00689D 19486A"
# UHRI's regional-group labels, and "" for rows without one.
REGIONS = {"", "Africa", "Asia-Pacific", "Eastern Europe", "Latin America and the Caribbean"}
REGIONS |= {"Western Europe & Others"}
# The 193 UN member states plus the State of Palestine (observer; UHRI files it under
# Asia-Pacific) carry a region: 194 rows. The Holy See (observer) and non-member territories
# have none.
REGION_ROWS = 194
NS = uuid.UUID("6f1c1a52-8f0e-4a4e-9a59-2f3c1b7e0d11")
TYPES = {"upr", "treaty_body", "special_procedure"}
# Deliberate deviations from sdg-translations: typos in the source corrected.
# (Chinese full-width commas are not listed: norm() treats them as equal to ASCII commas.)
GOAL_FIXES: dict[tuple[str, str], str] = {
    ("fr", "8-short"): "Travail décent et croissance économique",  # "Travaux décent"
    ("ru", "8-short"): "Достойная работа и экономический рост",  # "Достойна"
    ("ru", "17-title"): "Укрепление средств осуществления и активизация работы в рамках "
    "Глобального партнерства в интересах устойчивого развития",  # stray heading dropped
    ("zh", "9-short"): "产业、创新和基础设施",  # "创业" (entrepreneurship) for "产业"
    ("zh", "17-short"): "促进目标实现的伙伴关系",  # "现实" for "实现"
    ("ar", "7-title"): "ضمان الوصول إلى الطاقة الحديثة والموثوقة والمستدامة للجميع",
    ("ar", "15-title"): "حماية وترميم وتشجيع الاستخدام المستدام للنظم الإيكولوجية الأرضية، "
    "وإدارة الغابات على نحو مستدام، ومكافحة التصحر، ووقف تدهور الأراضي وعكس مساره ووقف "
    "فقدان التنوع البيولوجي",
    ("ar", "16-title"): "تعزيز المجتمعات السلمية والشاملة لتحقيق التنمية المستدامة، وتوفير "
    "إمكانية الوصول إلى العدالة للجميع وبناء مؤسسات فعالة وخاضعة للمساءلة وشاملة للجميع على "
    "جميع المستويات",
}

Problems = list[str]


# Chinese full-width punctuation against the source's ASCII; Arabic tatweel (U+0640), which
# only stretches a letter in print, is dropped from the seeds (it would split n-grams).
_ZH_PUNCTUATION = str.maketrans("，；：（）", ",;:()")


def norm(text: str, lang: str = "en") -> str:
    s = " ".join(text.split())
    if lang == "zh":
        return s.translate(_ZH_PUNCTUATION).replace(" ", "")
    return s.replace("\u0640", "") if lang == "ar" else s


def clean_label(label: str) -> str:
    s = label.strip()
    return " ".join((s[2:] if s.startswith("- ") else s).split())


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as f:
        return json.load(f)


def read_csv(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def parse_simple_yaml(text: str) -> dict[str, str]:
    raw: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" and key:
            raw[key] += " " + line.strip()
        else:
            key, _, value = line.partition(":")
            raw[key.strip()] = value.strip()
    for k, v in raw.items():  # quoted scalars: 'it''s' and "plain"
        if len(v) >= 2 and v[0] == v[-1] and v[0] in "'\"":
            raw[k] = v[1:-1].replace("''", "'") if v[0] == "'" else v[1:-1]
    return raw


def load_yaml(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    try:
        yaml: Any = importlib.import_module("yaml")
    except ImportError:
        return parse_simple_yaml(text)
    return {str(k): str(v) for k, v in yaml.safe_load(text).items()}


def target_key(code: str) -> tuple[int, int, int, str]:
    goal, sub = code.split(".")
    return (int(goal), 0, int(sub), "") if sub.isdigit() else (int(goal), 1, 0, sub)


def check_goals(data: Path) -> Problems:
    goals = read_json(SEEDS / "sdg_goals.json")
    src = {
        lang: load_yaml(data / "sdg-translations" / SRC_DIR[lang] / "global_goals.yml")
        for lang in LANGS
    }
    bad = [] if [g["number"] for g in goals] == list(range(1, 18)) else ["numbers not 1..17"]
    for g in goals:
        n = g["number"]
        if g["colour"] != "#" + COLOURS.split()[n - 1]:
            bad.append(f"goal {n}: colour {g['colour']}")
        for field, key in (("title", f"{n}-title"), ("short_title", f"{n}-short")):
            for lang in LANGS:
                got = g[field].get(lang, "")
                want = GOAL_FIXES.get((lang, key), src[lang].get(key, ""))
                if not got.strip() or norm(got, lang) != norm(want, lang):
                    bad.append(f"goal {n} {field}.{lang}: {got!r} != {want!r}")
    return bad


def check_targets(data: Path) -> Problems:
    rows = read_csv("sdg_targets.csv")
    src = load_yaml(data / "sdg-translations" / "en" / "global_targets.yml")
    want = {k[: -len("-title")].replace("-", "."): v for k, v in src.items()}
    codes = [r["code"] for r in rows]
    bad = [] if len(rows) == 169 == len(want) else [f"{len(rows)} rows, source {len(want)}"]
    if codes != sorted(codes, key=target_key):
        bad.append("rows not ordered by goal, numbered, lettered")
    if set(codes) != set(want):
        bad.append(f"code sets differ: {sorted(set(codes) ^ set(want))}")
    for r in rows:
        if r["goal"] != r["code"].split(".")[0]:
            bad.append(f"{r['code']}: goal {r['goal']}")
        if r["code"] in want and norm(r["title"]) != norm(want[r["code"]]):
            bad.append(f"{r['code']}: title differs")
    return bad


def check_translated_targets(data: Path) -> Problems:
    """The target texts in the five other languages (the suggestions' training material)."""
    seeded = read_json(SEEDS / "sdg_target_titles.json")
    bad: Problems = []
    for lang in LANGS[1:]:
        src = load_yaml(data / "sdg-translations" / SRC_DIR[lang] / "global_targets.yml")
        want = {k[: -len("-title")].replace("-", "."): v for k, v in src.items()}
        if set(seeded) != set(want):
            bad.append(f"{lang}: code sets differ: {sorted(set(seeded) ^ set(want))}")
        for code, text in want.items():
            if code in seeded and norm(seeded[code].get(lang, ""), lang) != norm(text, lang):
                bad.append(f"{lang} {code}: title differs")
    return bad


def check_sdg_labels(data: Path) -> Problems:
    goals = {str(g["number"]) for g in read_json(SEEDS / "sdg_goals.json")}
    targets = {r["code"] for r in read_csv("sdg_targets.csv")}
    bad = []
    for item in read_json(data / "uhri" / "sdg-labels.json")["labels"]:
        code = item["label"].split(" - ")[0].strip()
        if code not in (goals if item["kind"] == "goal" else targets):
            bad.append(f"unresolved {item['kind']} label {item['label']!r}")
    return bad


def check_mechanisms(data: Path) -> Problems:
    mechs = read_json(SEEDS / "mechanisms.json")
    bad: Problems = []
    keys: dict[str, str] = {}
    for m in mechs:
        langs = LANGS if m["type"] in ("upr", "treaty_body") else ("en",)
        if m["type"] not in TYPES or not all(m["name"].get(lang, "").strip() for lang in langs):
            bad.append(f"{m['code']}: bad type or missing names")
        for k in {m["code"].casefold()} | {a.casefold() for a in m["aliases"]}:
            if keys.setdefault(k, m["code"]) != m["code"]:
                bad.append(f"{k!r} names both {keys[k]} and {m['code']}")
    for body in read_json(data / "uhri" / "facets.json")["bodies"]:
        if clean_label(body["label"]).casefold() not in keys:
            bad.append(f"unresolved body {body['label']!r}")
    return bad


def check_countries(data: Path) -> Problems:
    rows = read_csv("countries.csv")
    bad: Problems = []
    names = ["iso3", "iso2", "region", *(f"name_{lang}" for lang in LANGS), "aliases"]
    if not rows or list(rows[0]) != names:
        return ["bad header"]
    if [r["iso3"] for r in rows] != sorted(r["iso3"] for r in rows):
        bad.append("rows not ordered by iso3")
    for col in ("iso3", "iso2"):
        vals = [r[col] for r in rows]
        if len(set(vals)) != len(vals) or not all(re.fullmatch("[A-Z]+", v) for v in vals):
            bad.append(f"{col} not unique upper-case codes")
    with_region = [r["iso3"] for r in rows if r["region"]]
    if len(with_region) != REGION_ROWS or "PSE" not in with_region or "VAT" in with_region:
        bad.append(f"{len(with_region)} rows with a region, want {REGION_ROWS} incl. PSE, not VAT")
    bad += [f"{r['iso3']}: region {r['region']!r}" for r in rows if r["region"] not in REGIONS]
    bad += [f"{r['iso3']}: empty name" for r in rows if not all(r[n] for n in names[3:9])]
    lookup: dict[str, dict[str, str]] = {}
    for r in rows:
        for k in [r["name_en"], r["iso2"], *filter(None, r["aliases"].split("|"))]:
            if lookup.setdefault(k.casefold(), r)["iso3"] != r["iso3"]:
                bad.append(f"{k!r} names both {lookup[k.casefold()]['iso3']} and {r['iso3']}")
    seen: dict[str, set[str]] = defaultdict(set)  # UHRI regions of a lone country under review
    for path in sorted((data / "uhri" / "dev").glob("export-full-*.json")):
        for rec in read_json(path):
            for field in ("Countries", "UprRecommendingCountry"):
                for name in rec.get(field) or []:
                    row = lookup.get(name.strip().rstrip("*").strip().casefold())
                    if row is None:
                        bad.append(f"{path.name}: unresolved {field} {name!r}")
                    elif field == "Countries" and len(rec[field]) == len(rec["Regions"]) == 1:
                        seen[row["iso3"]].add(rec["Regions"][0])
    for r in rows:
        if r["region"] and seen[r["iso3"]] and r["region"] not in seen[r["iso3"]]:
            bad.append(f"{r['iso3']}: region {r['region']!r}, UHRI has {seen[r['iso3']]}")
    return sorted(set(bad))


def check_labels(data: Path) -> Problems:
    facets = read_json(data / "uhri" / "facets.json")
    bad: Problems = []
    for fname, prefix, key in (
        ("themes.json", "theme:", "themes"),
        ("affected_persons.json", "affected_person:", "affected_persons_top12_only"),
    ):
        items = read_json(SEEDS / fname)
        names = [i["name"]["en"] for i in items]
        ids = [i["id"] for i in items]
        if len(set(names)) != len(names) or len(set(ids)) != len(ids):
            bad.append(f"{fname}: duplicate names or ids")
        for i in items:
            name = i["name"]["en"]
            if name != clean_label(name) or i["id"] != str(uuid.uuid5(NS, prefix + name)):
                bad.append(f"{fname}: {name!r} unclean or id not uuid5")
        missing = {clean_label(f["label"]) for f in facets[key]} - set(names)
        bad += [f"{fname}: missing UHRI label {m!r}" for m in sorted(missing)]
    return bad


CHECKS: list[tuple[str, Callable[[Path], Problems]]] = [
    ("sdg_goals.json vs sdg-translations", check_goals),
    ("sdg_targets.csv vs global_targets.yml", check_targets),
    ("sdg_target_titles.json vs global_targets.yml", check_translated_targets),
    ("uhri sdg-labels resolve by code", check_sdg_labels),
    ("mechanisms.json vs facets bodies", check_mechanisms),
    ("countries.csv (codes, regions, UHRI dev names)", check_countries),
    ("themes.json / affected_persons.json", check_labels),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    data: Path = parser.parse_args(argv).data
    if not data.is_dir():
        print(f"skipped: data dir not found: {data}")
        return 0
    failed = 0
    for title, check in CHECKS:
        try:
            problems = check(data)
        except (OSError, KeyError, ValueError, TypeError, AttributeError) as exc:
            problems = [f"error: {exc!r}"]
        print(f"{'FAIL' if problems else 'ok  '} {title}")
        more = [f"... and {len(problems) - 20} more"] if len(problems) > 20 else []
        print("".join(f"       {p}\n" for p in problems[:20] + more), end="")
        failed += bool(problems)
    print(f"{len(CHECKS) - failed} of {len(CHECKS)} seed checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
