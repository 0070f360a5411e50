"""Load the reference data in seeds/ into the database; running it again changes nothing."""

import csv
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.i18n import LANGUAGES
from app.models.base import Base
from app.models.country import Country
from app.models.mechanism import Mechanism, MechanismType
from app.models.sdg import SdgGoal, SdgTarget, target_sort_order
from app.models.taxonomy import AffectedPerson, Theme
from app.suggestions.seeds import target_titles


def _read_json(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, list), f"{path} must hold a JSON array"
    return data


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _names(row: dict[str, str], prefix: str) -> dict[str, str]:
    return {lang: row[f"{prefix}_{lang}"] for lang in LANGUAGES if row.get(f"{prefix}_{lang}")}


async def _upsert(
    session: AsyncSession, model: type[Base], key: str, rows: Iterable[dict[str, Any]]
) -> int:
    """Insert missing rows and update changed ones, matching on `key`. Returns rows written."""
    existing = {getattr(obj, key): obj for obj in (await session.scalars(select(model))).all()}
    written = 0
    for values in rows:
        current = existing.get(values[key])
        if current is None:
            session.add(model(**values))
            written += 1
        elif any(getattr(current, field) != value for field, value in values.items()):
            for field, value in values.items():
                setattr(current, field, value)
            written += 1
    await session.flush()
    return written


async def seed_reference_data(session: AsyncSession, seeds_dir: Path) -> dict[str, int]:
    """Upsert every reference table from `seeds_dir`; returns the rows written per table."""
    goals = [
        {
            "number": g["number"],
            "colour": g["colour"],
            "title": g["title"],
            "short_title": g["short_title"],
        }
        for g in _read_json(seeds_dir / "sdg_goals.json")
    ]
    titles = target_titles(seeds_dir)
    targets = [
        {
            "code": t["code"],
            "goal_number": int(t["goal"]),
            "sort_order": target_sort_order(t["code"]),
            "title": titles[t["code"]],
        }
        for t in _read_csv(seeds_dir / "sdg_targets.csv")
    ]
    mechanisms = [
        {
            "code": m["code"],
            "type": MechanismType(m["type"]),
            "name": m["name"],
            "aliases": m.get("aliases", []),
        }
        for m in _read_json(seeds_dir / "mechanisms.json")
    ]
    countries = [
        {
            "iso3": c["iso3"],
            "iso2": c["iso2"],
            "region": c["region"] or None,
            "name": _names(c, "name"),
            "aliases": [a for a in c.get("aliases", "").split("|") if a],
        }
        for c in _read_csv(seeds_dir / "countries.csv")
    ]

    def labels(file: str) -> list[dict[str, Any]]:
        return [
            {"id": uuid.UUID(item["id"]), "label": item["name"]["en"], "name": item["name"]}
            for item in _read_json(seeds_dir / file)
        ]

    return {
        "sdg_goal": await _upsert(session, SdgGoal, "number", goals),
        "sdg_target": await _upsert(session, SdgTarget, "code", targets),
        "mechanism": await _upsert(session, Mechanism, "code", mechanisms),
        "country": await _upsert(session, Country, "iso3", countries),
        "theme": await _upsert(session, Theme, "id", labels("themes.json")),
        "affected_person": await _upsert(
            session, AffectedPerson, "id", labels("affected_persons.json")
        ),
    }
