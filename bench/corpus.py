"""A synthetic corpus of recommendations, written straight into a migrated, seeded database.

Realistic in shape: one to three States, UHRI's mix of mechanisms (about half UPR), one to six SDG
goals or targets, themes, affected persons, English and French texts with a Chinese one on a third.
"""

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.imports.bulk import bulk_insert
from app.models.action import Action, ActionRecommendation
from app.models.assignment import Assignment
from app.models.country import Country
from app.models.institution import Institution
from app.models.mechanism import Mechanism, MechanismType
from app.models.recommendation import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    RecommendationSearch,
    RecommendationTheme,
    RecommendingState,
    Status,
    goal_mask,
)
from app.models.sdg import SdgTarget
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations.search import search_document

# Domain words, commonest first; a long tail of made-up words follows them, so that word
# frequencies fall off as in real text (Zipf) and a term like "torture" is in a few percent of
# documents, not in most.
DOMAIN = [
    "the",
    "state",
    "party",
    "ensure",
    "that",
    "and",
    "of",
    "to",
    "in",
    "measures",
    "rights",
    "children",
    "women",
    "national",
    "law",
    "take",
    "all",
    "necessary",
    "adopt",
    "implement",
    "effective",
    "access",
    "including",
    "persons",
    "legislation",
    "discrimination",
    "protection",
    "violence",
    "education",
    "health",
    "justice",
    "plan",
    "strengthen",
    "policy",
    "with",
    "disabilities",
    "migrants",
    "indigenous",
    "detention",
    "police",
    "training",
    "resources",
    "independent",
    "institution",
    "freedom",
    "expression",
    "torture",
    "housing",
    "water",
    "poverty",
    "trafficking",
    "judiciary",
]
ZH = ["酷刑", "儿童", "妇女", "教育", "健康", "司法", "歧视", "暴力", "国家", "计划", "确保"]


def _vocabulary(rng: random.Random, size: int = 5000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    tail = ["".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)]
    words = DOMAIN + tail
    return words, [1 / (rank + 1) for rank in range(len(words))]


def _sentence(rng: random.Random, vocabulary: tuple[list[str], list[float]], n: int) -> str:
    words, weights = vocabulary
    return " ".join(rng.choices(words, weights, k=n)).capitalize() + "."


class CorpusWriter:
    def __init__(self, session: AsyncSession, seed: int = 42) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.vocabulary = _vocabulary(self.rng)

    async def load_reference(self) -> None:
        s = self.session
        self.countries = list((await s.scalars(select(Country.iso3))).all())
        self.hot_countries = self.countries[:40]  # most records concern a minority of States
        mechanisms = (await s.execute(select(Mechanism.id, Mechanism.type))).all()
        self.upr = next(m for m, t in mechanisms if t is MechanismType.upr)
        self.others = [m for m, t in mechanisms if t is not MechanismType.upr]
        self.targets = list((await s.execute(select(SdgTarget.code, SdgTarget.goal_number))).all())
        self.themes = list((await s.scalars(select(Theme.id))).all())
        self.groups = list((await s.scalars(select(AffectedPerson.id))).all())

    def _one(self, n: int) -> dict[str, list[dict[str, Any]]]:
        rng = self.rng
        rec_id = uuid.uuid4()
        is_upr = rng.random() < 0.5
        text = {"en": _sentence(rng, self.vocabulary, rng.randint(15, 60))}
        text["fr"] = _sentence(rng, self.vocabulary, rng.randint(15, 60))
        if n % 3 == 0:
            text["zh"] = "".join(rng.choice(ZH) for _ in range(rng.randint(10, 40)))
        symbol = (
            f"A/HRC/{rng.randint(1, 60)}/{rng.randint(1, 30)}"
            if is_upr
            else (f"CRC/C/{rng.choice(self.countries)}/CO/{rng.randint(1, 7)}")
        )
        paragraph = f"{rng.randint(100, 160)}.{rng.randint(1, 250)}" if is_upr else str(n % 90)
        rec = {
            "id": rec_id, "uhri_id": f"syn-{n}", "symbol": symbol, "paragraph": paragraph,
            "type": "recommendation" if rng.random() < 0.8 else "concern",
            "mechanism_id": self.upr if is_upr else rng.choice(self.others),
            "publication_date": dt.date(2008, 1, 1) + dt.timedelta(days=rng.randint(0, 6500)),
            "text": text, "upr_position": rng.choice(["supported", "noted"]) if is_upr else None,
            "upr_cycle": rng.randint(1, 4) if is_upr else None,
            "upr_session": rng.randint(1, 45) if is_upr else None,
            "priority": rng.choice([None, None, "high", "medium", "low"]),
            "status": rng.choice(list(Status)[:1] * 4 + list(Status)),
            "archived": False, "version": 1,
        }  # fmt: skip
        pool = self.hot_countries if rng.random() < 0.7 else self.countries
        countries = set(rng.sample(pool, rng.choice([1, 1, 1, 2, 3])))
        targets = rng.sample(self.targets, rng.randint(0, 4))
        direct = set(rng.sample(range(1, 18), rng.randint(0 if targets else 1, 2)))
        goals = direct | {goal for _, goal in targets}
        rec["sdg_goal_mask"] = goal_mask(goals)
        return {
            "rec": [rec],
            "country": [
                {
                    "recommendation_id": rec_id,
                    "country_iso3": c,
                    "publication_date": rec["publication_date"],
                }
                for c in countries
            ],
            "state": [
                {"recommendation_id": rec_id, "name": s}
                for s in ({rng.choice(self.countries)} if is_upr else set())
            ],
            "goal": [
                {"recommendation_id": rec_id, "goal_number": g, "direct": g in direct}
                for g in goals
            ],
            "target": [{"recommendation_id": rec_id, "target_code": c} for c, _ in targets],
            "theme": [
                {"recommendation_id": rec_id, "theme_id": t}
                for t in rng.sample(self.themes, rng.randint(1, 3))
            ],
            "group": [
                {"recommendation_id": rec_id, "affected_person_id": g}
                for g in rng.sample(self.groups, rng.randint(0, 2))
            ],
            "search": [
                {"recommendation_id": rec_id, "document": search_document(symbol, paragraph, text)}
            ],
        }

    def batches(self, total: int, size: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
        for start in range(0, total, size):
            batch: dict[str, list[dict[str, Any]]] = {}
            for n in range(start, min(start + size, total)):
                for key, rows in self._one(n).items():
                    batch.setdefault(key, []).extend(rows)
            yield batch

    async def write_planning(self, recommendation_ids: list[uuid.UUID]) -> None:
        """Institutions, assignments and actions (a fifth of them overdue) over the corpus."""
        rng = self.rng
        institutions = [
            {"id": uuid.uuid4(), "name": f"Ministry {n}", "kind": "ministry", "archived": False,
             "version": 1}
            for n in range(40)
        ]  # fmt: skip
        await bulk_insert(self.session, cast(Table, Institution.__table__), institutions)
        assigned = rng.sample(recommendation_ids, len(recommendation_ids) // 5)
        assignments = [
            {"id": uuid.uuid4(), "recommendation_id": rec, "version": 1, "role": "lead",
             "institution_id": rng.choice(institutions)["id"]}
            for rec in assigned
        ]  # fmt: skip
        await bulk_insert(self.session, cast(Table, Assignment.__table__), assignments)
        actions, links = [], []
        for rec in assigned[: len(assigned) // 2]:
            action_id = uuid.uuid4()
            overdue = rng.random() < 0.2
            open_status = rng.choice(["planned", "in_progress", "completed"])
            days_late = rng.randint(1, 400) if overdue else -90
            actions.append({
                "id": action_id, "title": "Draft the bill", "version": 1,
                "status": "planned" if overdue else open_status,
                "due_date": dt.date.today() - dt.timedelta(days=days_late),
            })  # fmt: skip
            links.append({"action_id": action_id, "recommendation_id": rec})
        await bulk_insert(self.session, cast(Table, Action.__table__), actions)
        await bulk_insert(self.session, cast(Table, ActionRecommendation.__table__), links)
        await self.session.commit()

    async def write(self, total: int, batch_size: int = 5000) -> None:
        await self.load_reference()
        written: list[uuid.UUID] = []
        tables = {
            "rec": Recommendation, "country": RecommendationCountry, "state": RecommendingState,
            "goal": RecommendationSdgGoal, "target": RecommendationSdgTarget,
            "theme": RecommendationTheme, "group": RecommendationAffectedPerson,
            "search": RecommendationSearch,
        }  # fmt: skip
        for batch in self.batches(total, batch_size):
            for key, model in tables.items():
                table = cast(Table, model.__table__)
                await bulk_insert(self.session, table, batch.get(key, []))
            await self.session.commit()
            written += [row["id"] for row in batch["rec"]]
        await self.write_planning(written)


# The tables that hang off a recommendation and are copied with it by clone_corpus, with the
# columns copied (recommendation_id is set to the clone's).
_CLONED_LINKS = [
    ("recommendation_country", "country_iso3, publication_date"),
    ("recommending_state", "name"),
    ("recommendation_sdg_goal", "goal_number, direct"),
    ("recommendation_sdg_target", "target_code"),
    ("recommendation_theme", "theme_id"),
    ("recommendation_affected_person", "affected_person_id"),
    ("recommendation_search", "document"),
]


async def _columns(connection: Any, table: str, *leave_out: str) -> list[str]:
    rows = await connection.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
        "AND NOT column_name = ANY($2::text[]) ORDER BY ordinal_position",
        table, list(leave_out),
    )  # fmt: skip
    return [row[0] for row in rows]


async def clone_corpus(connection: Any, records: int) -> int:
    """PostgreSQL (asyncpg): copy the recommendations already written, with their links,
    search documents, assignments and actions, until there are `records`. bench.corpus writes
    about 100 realistic records a second on a shared machine; INSERT … SELECT copies them some
    fifty times faster. Returns how many were added."""
    base = int(await connection.fetchval("SELECT count(*) FROM recommendation"))
    missing = records - base
    if missing <= 0:
        return 0
    copies = -(-missing // base)
    async with connection.transaction():
        await connection.execute(
            "CREATE TEMP TABLE clone ON COMMIT DROP AS SELECT src, gen_random_uuid() AS id, k "
            f"FROM (SELECT r.id AS src, k FROM recommendation r, generate_series(1, {copies}) k "
            f"ORDER BY k, r.id LIMIT {missing}) AS picked"
        )
        kept = await _columns(connection, "recommendation", "id", "uhri_id")
        await connection.execute(
            f"INSERT INTO recommendation (id, uhri_id, {', '.join(kept)}) "
            f"SELECT c.id, r.uhri_id || '-' || c.k, {', '.join('r.' + n for n in kept)} "
            "FROM clone c JOIN recommendation r ON r.id = c.src"
        )
        for table, columns in _CLONED_LINKS:
            names = [n.strip() for n in columns.split(",")]
            await connection.execute(
                f"INSERT INTO {table} (recommendation_id, {columns}) "
                f"SELECT c.id, {', '.join('x.' + n for n in names)} "
                f"FROM clone c JOIN {table} x ON x.recommendation_id = c.src"
            )
        kept = await _columns(connection, "assignment", "id", "recommendation_id")
        await connection.execute(
            f"INSERT INTO assignment (id, recommendation_id, {', '.join(kept)}) "
            f"SELECT gen_random_uuid(), c.id, {', '.join('a.' + n for n in kept)} "
            "FROM clone c JOIN assignment a ON a.recommendation_id = c.src"
        )
        await connection.execute(
            "CREATE TEMP TABLE action_clone ON COMMIT DROP AS SELECT ar.action_id AS src, "
            "gen_random_uuid() AS id, c.id AS recommendation_id "
            "FROM clone c JOIN action_recommendation ar ON ar.recommendation_id = c.src"
        )
        kept = await _columns(connection, "action", "id")
        await connection.execute(
            f"INSERT INTO action (id, {', '.join(kept)}) "
            f"SELECT c.id, {', '.join('a.' + n for n in kept)} "
            "FROM action_clone c JOIN action a ON a.id = c.src"
        )
        await connection.execute(
            "INSERT INTO action_recommendation (action_id, recommendation_id) "
            "SELECT id, recommendation_id FROM action_clone"
        )
    # VACUUM too: without the visibility map it sets, index-only scans read the table as well,
    # as they would not on a database that autovacuum keeps.
    await connection.execute("VACUUM (ANALYZE)")
    return missing
