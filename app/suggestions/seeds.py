"""The SDG target texts in the seeds, every language known (the index's second source)."""

import csv
import json
from pathlib import Path

from app.config import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "seeds"


def target_titles(seeds_dir: Path = SEEDS) -> dict[str, dict[str, str]]:
    """{code: {lang: text}}: English from sdg_targets.csv, the other languages (where written)
    from sdg_target_titles.json."""
    with (seeds_dir / "sdg_targets.csv").open(encoding="utf-8", newline="") as handle:
        titles = {row["code"]: {"en": row["title"]} for row in csv.DictReader(handle)}
    translated = seeds_dir / "sdg_target_titles.json"
    if translated.exists():
        for code, by_lang in json.loads(translated.read_text("utf-8")).items():
            if code in titles:
                titles[code].update({lang: text for lang, text in by_lang.items() if text})
    return titles
