"""A synthetic UHRI bulk export (JSON, English) of any size, written as a stream.

Shaped like the real one: about half UPR, the rest treaty bodies and special procedures; one to
six SDG labels (goal rows and target rows, as UHRI writes them); themes and affected persons with
UHRI's "- " prefixes; UPR positions and recommending States; paragraph numbers in the texts.
"""

import csv
import json
import random
import uuid
from pathlib import Path

from app.config import PROJECT_ROOT
from bench.corpus import _sentence, _vocabulary

SEEDS = PROJECT_ROOT / "seeds"
TYPES = ["- Recommendations"] * 4 + ["- Concerns/Observations"]


def _reference() -> dict[str, list[str]]:
    mechanisms = json.loads((SEEDS / "mechanisms.json").read_text("utf-8"))
    with (SEEDS / "countries.csv").open(encoding="utf-8", newline="") as handle:
        countries = [row["name_en"] for row in csv.DictReader(handle) if row["region"]]
    with (SEEDS / "sdg_targets.csv").open(encoding="utf-8", newline="") as handle:
        targets = [f"{row['code']} - {row['title'][:60]}" for row in csv.DictReader(handle)]
    goals = [f"{g['number']} - {g['short_title']['en'].upper()}"
             for g in json.loads((SEEDS / "sdg_goals.json").read_text("utf-8"))]  # fmt: skip
    themes = [t["name"]["en"] for t in json.loads((SEEDS / "themes.json").read_text("utf-8"))]
    groups = [
        a["name"]["en"] for a in json.loads((SEEDS / "affected_persons.json").read_text("utf-8"))
    ]
    return {
        "treaty_bodies": [m["code"] for m in mechanisms if m["type"] == "treaty_body"],
        "special_procedures": [m["code"] for m in mechanisms if m["type"] == "special_procedure"],
        "countries": countries, "targets": targets, "goals": goals,
        "themes": themes, "groups": groups,
    }  # fmt: skip


def write_export(path: Path, records: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    ref = _reference()
    vocabulary = _vocabulary(rng)
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for n in range(records):
            kind = rng.random()
            country = rng.choice(ref["countries"][:60] if rng.random() < 0.7 else ref["countries"])
            body_text = _sentence(rng, vocabulary, rng.randint(15, 70))
            record = {
                "AffectedPersons": [f"- {g}" for g in rng.sample(ref["groups"], rng.randint(0, 2))],
                "AnnotationId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "AnnotationType": rng.choice(TYPES),
                "Countries": [country],
                "DocumentId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "PublicationDateOnUhri": "2020-01-01T00:00:00",
                "Regions": [],
                "Sdgs": rng.sample(ref["targets"] + ref["goals"], rng.randint(1, 6)),
                "Themes": [f"- {t}" for t in rng.sample(ref["themes"], rng.randint(1, 3))],
                "UprCycle": None, "UprPositions": [], "UprRecommendingCountry": [],
                "UprRecommendingRegions": [], "UprSession": [],
            }  # fmt: skip
            year = rng.randint(2008, 2025)
            if kind < 0.48:
                session = rng.randint(8, 58)
                record |= {
                    "Body": "- UPR",
                    "Symbol": f"A/HRC/{session}/{rng.randint(1, 20)}",
                    "PublicationDate": f"{year}-{rng.randint(1, 12):02d}-15T00:00:00",
                    "UprPositions": [rng.choice(["Supported", "Supported", "Noted"])],
                    "UprRecommendingCountry": [rng.choice(ref["countries"])],
                    "Text": f"{rng.randint(100, 160)}.{rng.randint(1, 250)} {body_text} "
                    f"({country});",
                }
            else:
                body = rng.choice(
                    ref["treaty_bodies"] if kind < 0.95 else ref["special_procedures"]
                )
                record |= {
                    "Body": f"- {body}",
                    "Symbol": f"{body}/C/XXX/CO/{rng.randint(1, 9)}",
                    "PublicationDate": f"{year}-{rng.randint(1, 12):02d}-01T00:00:00",
                    "Text": f"{rng.randint(1, 90)}. {body_text}",
                }
            if n:
                out.write(",")
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
        out.write("]")
