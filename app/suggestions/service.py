"""SDG target suggestions for one recommendation, and accepting or rejecting them (DESIGN §12)."""

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.audit.service import record_event
from app.auth.principal import Principal
from app.db import insert_missing
from app.errors import UnprocessableEntity
from app.i18n import LANGUAGES
from app.models.base import utcnow
from app.models.recommendation import Recommendation
from app.models.sdg import SdgTarget
from app.models.suggestion import SdgSuggestionRejection
from app.recommendations import service as recommendations
from app.recommendations.schemas import RecommendationUpdate
from app.suggestions import index, vectors
from app.suggestions.schemas import SuggestionReason, Suggestions, TargetSuggestion

LIMIT = 5
# Below this a suggestion is noise: it only shares words any recommendation has.
MIN_SCORE = 0.05
# The target's own words are named in `because` from this similarity on.
TEXT_REASON = 0.15


async def recommendation_for_suggestions(
    session: AsyncSession, recommendation_id: uuid.UUID
) -> Recommendation | None:
    """The recommendation with its target tags only: all that suggesting needs."""
    stmt = (
        select(Recommendation)
        .where(Recommendation.id == recommendation_id)
        .options(selectinload(Recommendation.sdg_target_links))
    )
    return (await session.scalars(stmt)).one_or_none()


async def rejected_codes(session: AsyncSession, rec: Recommendation) -> set[str]:
    rows = await session.scalars(
        select(SdgSuggestionRejection.target_code).where(
            SdgSuggestionRejection.recommendation_id == rec.id
        )
    )
    return set(rows.all())


async def _language(session: AsyncSession, rec: Recommendation) -> str | None:
    """The recommendation's language that the index knows best (UHRI's records have all six)."""
    built = await index.languages_built(session)
    known = [lang for lang in LANGUAGES if rec.text.get(lang) and built.get(lang)]
    return max(known, key=lambda lang: built[lang]) if known else None


async def suggest(session: AsyncSession, rec: Recommendation, limit: int = LIMIT) -> Suggestions:
    if rec.archived:
        return Suggestions(sdg_targets=[])
    lang = await _language(session, rec)
    if lang is None:
        return Suggestions(sdg_targets=[])
    model = await index.model(session, lang)
    if model is None:
        return Suggestions(sdg_targets=[])
    text = rec.text[lang]
    skip = {link.target_code for link in rec.sdg_target_links} | await rejected_codes(session, rec)
    best = [
        (code, score)
        for code, score in vectors.ranked(model.score(text))
        if code not in skip and score >= MIN_SCORE
    ][:limit]
    if not best:
        return Suggestions(sdg_targets=[], lang=lang)
    query = vectors.weigh(text, model.idf)
    codes = [code for code, _ in best]
    exemplars = await index.nearest_exemplars(session, lang, codes, query)
    by_text = model.texts.cosines(query)
    titles = dict(
        (
            await session.execute(
                select(SdgTarget.code, SdgTarget.title).where(SdgTarget.code.in_(codes))
            )
        ).all()
    )
    suggestions = []
    for code, score in best:
        because = [
            SuggestionReason(
                kind="recommendation", recommendation_id=rec_id, similarity=round(sim, 4)
            )
            for rec_id, sim in exemplars.get(code, [])
            if rec_id != rec.id
        ]
        similarity = by_text.get(code, 0.0)
        if similarity >= TEXT_REASON or not because:
            title = titles.get(code, {})
            text_lang = lang if lang in title else "en"
            because.append(
                SuggestionReason(
                    kind="target_text", lang=text_lang, text=title.get(text_lang),
                    similarity=round(similarity, 4),
                )
            )  # fmt: skip
        suggestions.append(
            TargetSuggestion(
                code=code,
                goal=vectors.goal_of(code),
                score=round(min(score, 1.0), 4),
                because=because,
            )
        )
    return Suggestions(sdg_targets=suggestions, lang=lang)


async def _require_target(session: AsyncSession, code: str) -> None:
    if await session.get(SdgTarget, code) is None:
        raise UnprocessableEntity.for_field("path.code", f"unknown SDG target: {code}", "unknown")


async def accept(
    session: AsyncSession, rec: Recommendation, code: str, actor: Principal
) -> Recommendation:
    """Tag the recommendation with the target through the same path as PATCH: the links, the
    goal mask (so the SDG tallies' triggers move the progress figures) and the audit record.
    Accept takes no If-Match (it adds one tag): it builds on the latest version instead."""
    await _require_target(session, code)
    rec = await recommendations.reread_for_update(session, rec)
    await session.execute(
        delete(SdgSuggestionRejection).where(
            SdgSuggestionRejection.recommendation_id == rec.id,
            SdgSuggestionRejection.target_code == code,
        )
    )
    current = [link.target_code for link in rec.sdg_target_links]
    if code in current:
        return rec
    data = RecommendationUpdate(sdg_targets=[*current, code])
    # The update moves the recommendation into the target's centroid (index.replace).
    return await recommendations.update_recommendation(session, rec, data, actor)


async def reject(session: AsyncSession, rec: Recommendation, code: str, actor: Principal) -> None:
    await _require_target(session, code)
    written = await insert_missing(
        session,
        SdgSuggestionRejection,
        [
            {
                "recommendation_id": rec.id,
                "target_code": code,
                "rejected_at": utcnow(),
                "rejected_by": actor.label,
            }
        ],
        SdgSuggestionRejection.target_code,
    )
    if written:
        await record_event(
            session, actor, "reject_sdg_suggestion", "recommendation", str(rec.id),
            {"sdg_suggestion_rejected": {"before": None, "after": code}},
        )  # fmt: skip
