"""Writing one batch of normalized records: create the new, update the changed, skip the rest.

What the NMRF added (priority, clusters, assignments, actions, progress, archiving) is never
touched: an import only writes the fields that come from UHRI.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.db import insert_missing
from app.imports.bulk import bulk_insert
from app.imports.normalize import Facts, ImportRecord, Lookups, PendingLabels
from app.imports.paragraphs import resolve_paragraphs
from app.models.base import utcnow
from app.models.mechanism import Mechanism
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
from app.models.taxonomy import AffectedPerson, Theme
from app.recommendations import service as recommendations
from app.recommendations.schemas import UprWrite
from app.recommendations.search import search_document
from app.similarity import index as similarity_index

FACTS_KEY = "_facts"


@dataclass
class BatchResult:
    counts: Counter[str] = field(default_factory=Counter)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # The uhri_ids this batch created or changed (what the SDG suggestion index adds).
    written: list[str] = field(default_factory=list)


async def create_pending_labels(
    session: AsyncSession, pending: PendingLabels, lookups: Lookups, dry_run: bool
) -> None:
    """Insert the special procedures, themes and affected-persons groups first met in a batch.

    Another import running at the same time may insert the same ones first: they are skipped
    (their ids are stable; a mechanism's is read back by its code).
    """
    if dry_run:
        for code in pending.mechanisms:
            lookups.mechanism_ids[code] = -1
        return
    for code, kind in pending.mechanisms.items():
        row = {"code": code, "type": kind, "name": {"en": code}, "aliases": []}
        await insert_missing(session, Mechanism, [row], Mechanism.id)
        found = await session.scalar(select(Mechanism.id).where(Mechanism.code == code))
        assert found is not None
        lookups.mechanism_ids[code] = found
    themes = [
        {"id": i, "label": label, "name": {"en": label}} for i, label in pending.themes.items()
    ]
    await insert_missing(session, Theme, themes, Theme.id)
    groups = [
        {"id": i, "label": label, "name": {"en": label}}
        for i, label in pending.affected_persons.items()
    ]
    await insert_missing(session, AffectedPerson, groups, AffectedPerson.id)


def _scalar_columns(facts: Facts, lookups: Lookups) -> dict[str, Any]:
    return {
        "symbol": facts.symbol,
        "type": facts.type,
        "mechanism_id": lookups.mechanism_ids[facts.mechanism_code],
        "publication_date": facts.publication_date,
        "upr_position": facts.upr_position,
        "upr_cycle": facts.upr_cycle,
        "upr_session": facts.upr_session,
    }


def _goals(facts: Facts, lookups: Lookups) -> set[int]:
    """The goals tagged directly and those of the targets tagged."""
    return set(facts.sdg_goals) | {lookups.targets[code] for code in facts.sdg_targets}


def _goal_rows(rec_id: uuid.UUID, facts: Facts, lookups: Lookups) -> list[dict[str, Any]]:
    direct = set(facts.sdg_goals)
    goals = _goals(facts, lookups)
    return [
        {"recommendation_id": rec_id, "goal_number": goal, "direct": goal in direct}
        for goal in sorted(goals)
    ]


async def _create(session: AsyncSession, records: list[ImportRecord], lookups: Lookups) -> None:
    now = utcnow()
    recs: list[dict[str, Any]] = []
    search: list[dict[str, Any]] = []
    links: dict[str, list[dict[str, Any]]] = {name: [] for name in _LINK_TABLES}
    for record in records:
        rec_id = uuid.uuid4()
        facts = record.facts
        text = {record.lang: record.text}
        recs.append(
            {
                "id": rec_id,
                "uhri_id": record.uhri_id,
                "paragraph": record.paragraph,
                "text": text,
                "priority": None,
                "status": Status.not_started,
                "archived": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "import_digests": {record.lang: record.digest(), FACTS_KEY: record.lang},
                "sdg_goal_mask": goal_mask(_goals(facts, lookups)),
                **_scalar_columns(facts, lookups),
            }
        )
        search.append(
            {
                "recommendation_id": rec_id,
                "document": search_document(facts.symbol, record.paragraph, text),
            }
        )
        _add_links(links, rec_id, facts, lookups)
    await bulk_insert(session, Recommendation.__table__, recs)  # type: ignore[arg-type]
    await bulk_insert(session, RecommendationSearch.__table__, search)  # type: ignore[arg-type]
    for name, rows in links.items():
        await bulk_insert(session, _LINK_TABLES[name].__table__, rows)
    await similarity_index.index_new(session, [(r["id"], r["text"]) for r in recs])


_LINK_TABLES: dict[str, Any] = {
    "country": RecommendationCountry,
    "state": RecommendingState,
    "goal": RecommendationSdgGoal,
    "target": RecommendationSdgTarget,
    "theme": RecommendationTheme,
    "group": RecommendationAffectedPerson,
}


def _add_links(
    links: dict[str, list[dict[str, Any]]], rec_id: uuid.UUID, facts: Facts, lookups: Lookups
) -> None:
    links["country"] += [
        {"recommendation_id": rec_id, "country_iso3": c, "publication_date": facts.publication_date}
        for c in facts.countries
    ]
    links["state"] += [{"recommendation_id": rec_id, "name": s} for s in facts.recommending_states]
    links["goal"] += _goal_rows(rec_id, facts, lookups)
    links["target"] += [{"recommendation_id": rec_id, "target_code": t} for t in facts.sdg_targets]
    links["theme"] += [{"recommendation_id": rec_id, "theme_id": t} for t in facts.themes]
    links["group"] += [
        {"recommendation_id": rec_id, "affected_person_id": g} for g in facts.affected_persons
    ]


async def _update(
    session: AsyncSession,
    record: ImportRecord,
    rec: Recommendation,
    lookups: Lookups,
    actor: Principal | None,
    job_label: str,
    actor_label: str,
) -> None:
    before = recommendations.audit_view(rec)
    digests = dict(rec.import_digests or {})
    # Tags come from the English file, or from the first language imported until English is.
    sets_facts = record.lang == "en" or digests.get(FACTS_KEY) in (None, record.lang)
    rec.text = {**rec.text, record.lang: record.text}
    if record.paragraph and (record.lang == "en" or not rec.paragraph):
        rec.paragraph = record.paragraph
    if sets_facts:
        facts = record.facts
        for column, value in _scalar_columns(facts, lookups).items():
            setattr(rec, column, value)
        rec.mechanism = await session.get_one(Mechanism, rec.mechanism_id)
        recommendations.set_countries(rec, facts.countries)
        recommendations.set_themes(rec, facts.themes)
        recommendations.set_affected_persons(rec, facts.affected_persons)
        target_goals = {code: lookups.targets[code] for code in facts.sdg_targets}
        recommendations.set_sdgs(rec, facts.sdg_goals, target_goals)
        recommendations.set_upr(
            rec,
            UprWrite(
                position=facts.upr_position,
                recommending_states=list(facts.recommending_states),
                cycle=facts.upr_cycle,
                session=facts.upr_session,
            ),
        )
        digests[FACTS_KEY] = record.lang
    digests[record.lang] = record.digest()
    rec.import_digests = digests
    rec.updated_at = utcnow()
    await recommendations.write_search_document(session, rec)
    await session.flush()
    await similarity_index.reindex(session, rec.id, rec.text)  # its States are written now
    updated = await recommendations.get_recommendation(session, rec.id)
    assert updated is not None
    changes = diff(before, recommendations.audit_view(updated))
    changes["source"] = {"before": None, "after": job_label}
    await record_event(
        session, actor, "import_update", "recommendation", str(rec.id), changes,
        actor_label=actor_label,
    )  # fmt: skip


async def write_batch(
    session: AsyncSession,
    records: list[ImportRecord],
    lookups: Lookups,
    pending: PendingLabels,
    *,
    dry_run: bool,
    actor: Principal | None,
    job_label: str,
    actor_label: str = "cli",
) -> BatchResult:
    result = BatchResult()
    # The same AnnotationId twice in one batch: the later record stands.
    latest = {record.uhri_id: record for record in records}
    result.counts["skipped"] += len(records) - len(latest)
    result.warnings = await resolve_paragraphs(session, list(latest.values()))
    await create_pending_labels(session, pending, lookups, dry_run)
    rows = await session.execute(
        select(Recommendation.uhri_id, Recommendation.id, Recommendation.import_digests).where(
            Recommendation.uhri_id.in_(list(latest))
        )
    )
    existing = {uhri_id: (rec_id, digests or {}) for uhri_id, rec_id, digests in rows.all()}
    new, changed = [], []
    for uhri_id, record in latest.items():
        found = existing.get(uhri_id)
        if found is None:
            new.append(record)
        elif found[1].get(record.lang) == record.digest():
            result.counts["unchanged"] += 1
        else:
            changed.append((record, found[0]))
    result.counts["created"] += len(new)
    result.counts["updated"] += len(changed)
    if dry_run:
        return result
    result.written = [r.uhri_id for r in new] + [r.uhri_id for r, _ in changed]
    await _create(session, new, lookups)
    if changed:
        loaded = await session.scalars(
            select(Recommendation)
            .where(Recommendation.id.in_([rec_id for _, rec_id in changed]))
            .options(*recommendations.LOAD_FOR_READ, selectinload(Recommendation.mechanism))
        )
        by_id = {rec.id: rec for rec in loaded.all()}
        for record, rec_id in changed:
            await _update(session, record, by_id[rec_id], lookups, actor, job_label, actor_label)
    return result
