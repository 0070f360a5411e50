"""Near-duplicates: found by the LSH index and rescored exactly; linked by coordinators into
groups; a validated progress update applied to the rest of its group in one step.

Candidates are the recommendations that concern a State the recommendation concerns (a
near-duplicate is the same request made again to the same State): their MinHash signatures are
read in one scan and compared at once, and the likely ones are rescored by the Jaccard
similarity of the two texts' shingles in a language both have (minhash.shared_language). For a
whole State, the signatures are bucketed by LSH band in memory instead of compared each with
each.
"""

import asyncio
import itertools
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy import update as update_statement
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import Event, diff, record_events
from app.auth.permissions import Permission
from app.auth.principal import Principal
from app.db import flush_or_conflict
from app.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from app.models.base import utcnow
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation, RecommendationCountry
from app.models.similarity import DuplicateLink, SimilaritySignature
from app.planning.references import require_existing
from app.planning.status import refresh_status
from app.progress_updates.schemas import ProgressUpdateRead
from app.similarity import candidates
from app.similarity.index import NO_STATE
from app.similarity.minhash import (
    bands_of,
    estimate,
    jaccard,
    shared_language,
    shingles,
    signature,
)
from app.webhooks.events import emit

# Candidates rescored for one recommendation: the ones estimated most similar. Far more than
# any recommendation has near-duplicates; bounds the work for texts repeated many times.
MAX_CANDIDATES = 200


class _Shingles:
    """Shingle sets computed once per (recommendation, language) for one request."""

    def __init__(self, texts: Mapping[uuid.UUID, Mapping[str, str]]) -> None:
        self.texts = texts
        self._cache: dict[tuple[uuid.UUID, str], np.ndarray] = {}

    def score(self, one: uuid.UUID, two: uuid.UUID) -> float:
        language = shared_language(self.texts[one], self.texts[two])
        if language is None:
            return 0.0
        return jaccard(self._get(one, language), self._get(two, language))

    def _get(self, rec_id: uuid.UUID, language: str) -> np.ndarray:
        key = (rec_id, language)
        if key not in self._cache:
            self._cache[key] = shingles(self.texts[rec_id][language], language)
        return self._cache[key]


async def _texts(
    session: AsyncSession, ids: Sequence[uuid.UUID], *, live_only: bool = False
) -> dict[uuid.UUID, dict[str, str]]:
    stmt = select(Recommendation.id, Recommendation.text).where(Recommendation.id.in_(ids))
    if live_only:
        stmt = stmt.where(Recommendation.archived.is_(False))
    rows = await session.execute(stmt)
    return {rec_id: dict(text) for rec_id, text in rows.all()}


# A pair is rescored exactly only when its signatures estimate at least the threshold less
# this: 72 MinHash values estimate a similarity of 0.5 with a standard deviation of 0.06.
ESTIMATE_MARGIN = 0.2


async def _signatures_in_state(
    session: AsyncSession, iso3: str, members: set[uuid.UUID]
) -> dict[uuid.UUID, dict[str, bytes]]:
    """The State's signatures (one range of the key), of these recommendations only."""
    sig = SimilaritySignature
    rows = await session.execute(
        select(sig.recommendation_id, sig.language, sig.signature).where(sig.country_iso3 == iso3)
    )
    found: dict[uuid.UUID, dict[str, bytes]] = defaultdict(dict)
    for rec_id, language, value in rows.all():
        if rec_id in members:
            found[rec_id][language] = bytes(value)
    return found


def _likely(one: Mapping[str, bytes], two: Mapping[str, bytes], threshold: float) -> bool:
    language = shared_language(one, two)
    return language is not None and estimate(one[language], two[language]) >= (
        threshold - ESTIMATE_MARGIN
    )


async def _archived(session: AsyncSession, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for start in range(0, len(ids), 1000):
        found.update((await session.scalars(
            select(Recommendation.id).where(
                Recommendation.id.in_(ids[start : start + 1000]), Recommendation.archived
            )
        )).all())  # fmt: skip
    return found


async def similar(
    session: AsyncSession, rec: Recommendation, *, threshold: float, limit: int
) -> list[tuple[uuid.UUID, float]]:
    """The near-duplicates of `rec` that are not archived, best first: (id, score).

    Every recommendation to the same States is a candidate (app/similarity/candidates.py):
    their signatures are read in one scan and compared at once (a State has thousands of
    recommendations, however many the database holds); the likely ones are rescored exactly
    on their texts."""
    own: dict[str, np.ndarray] = {}
    for language, body in rec.text.items():
        shingled = shingles(body, language)
        if len(shingled):
            own[language] = signature(shingled).astype("<u4")
    if not own:
        return []
    found = await candidates.read(session, rec.id, candidates.ordered_languages(own))
    ranked = sorted(
        candidates.likely(own, found, threshold - ESTIMATE_MARGIN),
        key=lambda pair: (-pair[0], str(pair[1])),
    )
    # Archived ones leave before the cap: the index keeps their rows, and many archived
    # copies (earlier cycles) must not take every place from a live near-duplicate.
    archived = await _archived(session, [rec_id for _, rec_id in ranked])
    likely = [rec_id for _, rec_id in ranked if rec_id not in archived][:MAX_CANDIDATES]
    if not likely:
        return []
    texts = await _texts(session, likely, live_only=True)
    texts[rec.id] = rec.text
    scorer = _Shingles(texts)
    scored = [(other, round(scorer.score(rec.id, other), 4)) for other in likely if other in texts]
    matched = [(other, score) for other, score in scored if score >= threshold]
    matched.sort(key=lambda pair: (-pair[1], str(pair[0])))
    return matched[:limit]


@dataclass
class Group:
    recommendation_ids: list[uuid.UUID]
    score: float


async def duplicates_for_country(
    session: AsyncSession, iso3: str, *, threshold: float, limit: int
) -> list[Group]:
    """Groups of near-duplicates among a State's recommendations (not archived), best first.

    The State's signatures are read once and bucketed by band in memory (a State has
    thousands of recommendations, not millions); pairs sharing a bucket whose signatures
    estimate them similar are rescored exactly and joined transitively."""
    members = set((await session.scalars(
        select(RecommendationCountry.recommendation_id)
        .join(Recommendation, Recommendation.id == RecommendationCountry.recommendation_id)
        .where(RecommendationCountry.country_iso3 == iso3, Recommendation.archived.is_(False))
    )).all())  # fmt: skip
    signatures = await _signatures_in_state(session, iso3, members)
    # The pure computation runs in a worker thread: the event loop keeps answering meanwhile.
    likely = await asyncio.to_thread(_likely_pairs, signatures, threshold)
    if not likely:
        return []
    ids = sorted({i for pair in likely for i in pair}, key=str)
    texts: dict[uuid.UUID, dict[str, str]] = {}
    for start in range(0, len(ids), 1000):
        texts.update(await _texts(session, ids[start : start + 1000]))
    found = await asyncio.to_thread(_grouped, texts, likely, threshold)
    return found[:limit]


# A band bucket this large is one text made many times (a UPR session repeats a request, each
# with its own State): its members are paired along a chain and with its first one, not each
# with each, so that the work grows with the State's size, not with its square. The groups come
# out the same when the members are alike, as a full bucket's are.
FULL_PAIRING_UP_TO = 40


def _likely_pairs(
    signatures: Mapping[uuid.UUID, Mapping[str, Any]], threshold: float
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    buckets: dict[int, list[uuid.UUID]] = defaultdict(list)
    for rec_id, by_language in signatures.items():
        for language, sig in by_language.items():
            for value in bands_of(sig, language):
                buckets[value].append(rec_id)
    pairs: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        ordered = sorted(set(bucket), key=str)
        if len(ordered) <= FULL_PAIRING_UP_TO:
            pairs.update(itertools.combinations(ordered, 2))
        else:
            pairs.update(itertools.pairwise(ordered))
            pairs.update((ordered[0], other) for other in ordered[2:])
    return [(a, b) for a, b in pairs if _likely(signatures[a], signatures[b], threshold)]


def _grouped(
    texts: dict[uuid.UUID, dict[str, str]],
    likely: list[tuple[uuid.UUID, uuid.UUID]],
    threshold: float,
) -> list[Group]:
    scorer = _Shingles(texts)
    parent: dict[uuid.UUID, uuid.UUID] = {}

    def root(i: uuid.UUID) -> uuid.UUID:
        while parent.get(i, i) != i:
            i = parent[i]
        return i

    kept: list[tuple[uuid.UUID, uuid.UUID, float]] = []
    for a, b in sorted(likely, key=lambda p: (str(p[0]), str(p[1]))):
        score = scorer.score(a, b)
        if score >= threshold:
            kept.append((a, b, score))
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[rb] = ra
    groups: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    best: dict[uuid.UUID, float] = {}
    for a, b, score in kept:
        r = root(a)
        groups[r] |= {a, b}
        best[r] = max(best.get(r, 0.0), score)
    found = [Group(sorted(g, key=str), round(best[r], 4)) for r, g in groups.items()]
    found.sort(key=lambda g: (-g.score, -len(g.recommendation_ids), str(g.recommendation_ids[0])))
    return found


# Linked duplicates


async def group_of(
    session: AsyncSession, rec_id: uuid.UUID
) -> tuple[uuid.UUID | None, list[uuid.UUID]]:
    """The group a recommendation is linked in, and the other recommendations in it."""
    group_id = await session.scalar(
        select(DuplicateLink.group_id).where(DuplicateLink.recommendation_id == rec_id)
    )
    if group_id is None:
        return None, []
    rows = await session.scalars(
        select(DuplicateLink.recommendation_id)
        .where(DuplicateLink.group_id == group_id, DuplicateLink.recommendation_id != rec_id)
        .order_by(DuplicateLink.recommendation_id)
    )
    return group_id, list(rows.all())


async def _groups_of(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(DuplicateLink.recommendation_id, DuplicateLink.group_id).where(
            DuplicateLink.recommendation_id.in_(ids)
        )
    )
    return dict(rows.all())


async def _members(
    session: AsyncSession, group_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    rows = await session.execute(
        select(DuplicateLink.recommendation_id, DuplicateLink.group_id).where(
            DuplicateLink.group_id.in_(group_ids)
        )
    )
    return dict(rows.all())


def _events(
    before: Mapping[uuid.UUID, uuid.UUID], after: Mapping[uuid.UUID, uuid.UUID]
) -> list[Event]:
    """An audit record for each recommendation that joined or left a group (its group before
    and after), and one for the group that the others stayed in (who joined, who left): what
    changed, never every member's full list, which would grow with the square of a group."""
    events: list[Event] = []
    moved = sorted((r for r in set(before) | set(after) if before.get(r) != after.get(r)), key=str)
    for rec_id in moved:
        was, now = before.get(rec_id), after.get(rec_id)
        changes = diff(
            {"duplicate_group": str(was) if was else None},
            {"duplicate_group": str(now) if now else None},
        )
        events.append(("link_duplicates", "recommendation", str(rec_id), changes))
    stayed = {g for r, g in after.items() if before.get(r) == g}
    for group_id in sorted(stayed, key=str):
        joined = sorted(str(r) for r in moved if after.get(r) == group_id)
        left = sorted(str(r) for r in moved if before.get(r) == group_id)
        changes = diff({"joined": [], "left": []}, {"joined": joined, "left": left})
        if changes:
            events.append(("link_duplicates", "duplicate_group", str(group_id), changes))
    return events


async def link(
    session: AsyncSession, rec_id: uuid.UUID, others: Sequence[uuid.UUID], actor: Principal
) -> None:
    """Link recommendations as duplicates of `rec_id`: one group holds them all (groups they
    were in already are merged into it)."""
    wanted = await require_existing(
        session, Recommendation.id, [i for i in others if i != rec_id], "recommendation_ids",
        "recommendation",
    )  # fmt: skip
    if not wanted:
        raise UnprocessableEntity.for_field(
            "body.recommendation_ids", "name at least one other recommendation", "too_short"
        )
    await _check_linkable(session, rec_id, wanted)
    involved = [rec_id, *wanted]
    current = await _groups_of(session, involved)
    before = await _members(session, list(set(current.values())))
    group_id = current.get(rec_id) or next(iter(current.values()), None) or uuid.uuid4()
    # Every member of the groups involved joins the one group.
    after = dict.fromkeys([*before, *involved], group_id)
    await _check_one_state(session, rec_id, list(after))
    await session.execute(
        delete(DuplicateLink).where(DuplicateLink.recommendation_id.in_(list(after)))
    )
    now = utcnow()
    session.add_all(
        DuplicateLink(recommendation_id=r, group_id=g, linked_at=now) for r, g in after.items()
    )
    await flush_or_conflict(session)
    await record_events(session, actor, _events(before, after))


async def _states_of(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, frozenset[str]]:
    """Each recommendation's States ({""}: none, as the near-duplicate index keys it)."""
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    for start in range(0, len(ids), 1000):
        rows = await session.execute(
            select(RecommendationCountry.recommendation_id, RecommendationCountry.country_iso3)
            .where(RecommendationCountry.recommendation_id.in_(ids[start : start + 1000]))
        )  # fmt: skip
        for rec_id, iso3 in rows.all():
            found[rec_id].add(iso3)
    return {rec_id: frozenset(found.get(rec_id) or {NO_STATE}) for rec_id in ids}


async def _check_one_state(
    session: AsyncSession, rec_id: uuid.UUID, members: Sequence[uuid.UUID]
) -> None:
    """A group, once merged, must concern one State all its members share: linking one pair
    at a time (or groups that were linked before) must not chain two States together."""
    states = await _states_of(session, members)
    if frozenset.intersection(*states.values()):
        return
    own = states[rec_id]
    apart = sorted(str(m) for m, theirs in states.items() if not theirs & own) or sorted(
        str(m) for m in members if m != rec_id
    )
    raise UnprocessableEntity.for_field(
        "body.recommendation_ids",
        "the group would concern no State all its members share; apart: " + ", ".join(apart),
        "other_state",
    )


async def _check_linkable(
    session: AsyncSession, rec_id: uuid.UUID, wanted: Sequence[uuid.UUID]
) -> None:
    """Duplicates are the same request made to the same State: refuse archived recommendations
    and those that share no State with this one (a validated copy applied to them would count
    in another State's figures)."""
    archived = (await session.scalars(
        select(Recommendation.id)
        .where(Recommendation.id.in_([rec_id, *wanted]), Recommendation.archived)
    )).all()  # fmt: skip
    if archived:
        raise UnprocessableEntity.for_field(
            "body.recommendation_ids", f"archived: {', '.join(sorted(map(str, archived)))}",
            "archived",
        )  # fmt: skip
    own = set((await session.scalars(
        select(RecommendationCountry.country_iso3)
        .where(RecommendationCountry.recommendation_id == rec_id)
    )).all())  # fmt: skip
    rows = await session.execute(
        select(RecommendationCountry.recommendation_id, RecommendationCountry.country_iso3).where(
            RecommendationCountry.recommendation_id.in_(wanted)
        )
    )
    theirs: dict[uuid.UUID, set[str]] = defaultdict(set)
    for other, iso3 in rows.all():
        theirs[other].add(iso3)
    elsewhere = sorted(str(o) for o in wanted if theirs.get(o, set()) != own and not (
        theirs.get(o, set()) & own
    ))  # fmt: skip
    if elsewhere:
        raise UnprocessableEntity.for_field(
            "body.recommendation_ids",
            f"made to no State this one concerns: {', '.join(elsewhere)}", "other_state",
        )  # fmt: skip


async def unlink(
    session: AsyncSession, rec_id: uuid.UUID, other: uuid.UUID, actor: Principal
) -> None:
    """Take `other` out of the group it shares with `rec_id` (a group of one is no group)."""
    current = await _groups_of(session, [rec_id, other])
    group_id = current.get(rec_id)
    if group_id is None or current.get(other) != group_id or other == rec_id:
        raise NotFound(f"Recommendation {other} is not linked as a duplicate of {rec_id}.")
    before = await _members(session, [group_id])
    after = {r: g for r, g in before.items() if r != other}
    if len(after) < 2:
        after = {}
    gone = [r for r in before if r not in after]
    await session.execute(delete(DuplicateLink).where(DuplicateLink.recommendation_id.in_(gone)))
    await flush_or_conflict(session)
    await record_events(session, actor, _events(before, after))


# Applying a validated update to the group


async def apply_to_group(
    session: AsyncSession, update: ProgressUpdate, actor: Principal, *, validate: bool
) -> list[ProgressUpdate]:
    """Copy a validated update to every other (not archived) recommendation of its group.

    The copies say what the original says and come from the same institution. They are
    validated at once only when asked and the caller may validate (a coordinator validated the
    original; the copies report the same facts), else they wait as submitted, so that nothing
    counts towards the figures that a validator has not accepted. A recommendation that already
    has an update with the same assessment and narrative, submitted or validated, gets none:
    applying twice creates nothing."""
    if update.state is not UpdateState.validated:
        raise Conflict(
            f"Only a validated update can be applied to duplicates; this one is {update.state}."
        )
    if validate and not actor.can(Permission.validate_progress):
        raise Forbidden("You may not validate progress: send validate=false to submit the copies.")
    # Two applications at once (a double click, a retry) take turns from here, so that the
    # second sees the first's copies: a write on the source row is the turn (a row lock on
    # PostgreSQL; SQLite's one writer, whose transaction begins with it).
    await session.execute(
        update_statement(ProgressUpdate)
        .where(ProgressUpdate.id == update.id)
        .values(updated_at=ProgressUpdate.updated_at)
        .execution_options(synchronize_session=False)
    )
    _, others = await group_of(session, update.recommendation_id)
    if not others:
        return []
    # Only to recommendations that share a State with the original, however the group came
    # to span more (a member's States edited since it was linked).
    states = await _states_of(session, [update.recommendation_id, *others])
    source = states[update.recommendation_id]
    same_state = [other for other in others if states[other] & source]
    live = set((await session.scalars(
        select(Recommendation.id)
        .where(Recommendation.id.in_(same_state), Recommendation.archived.is_(False))
    )).all())  # fmt: skip
    having = set((await session.scalars(
        select(ProgressUpdate.recommendation_id).where(
            ProgressUpdate.recommendation_id.in_(live),
            ProgressUpdate.assessment == update.assessment,
            ProgressUpdate.narrative == update.narrative if update.narrative is not None
            else ProgressUpdate.narrative.is_(None),
            ProgressUpdate.state.in_([UpdateState.submitted, UpdateState.validated]),
        )
    )).all())  # fmt: skip
    targets = sorted(live - having, key=str)
    now = utcnow()
    state = UpdateState.validated if validate else UpdateState.submitted
    note = f"Applied from progress update {update.id} on a duplicate recommendation."
    copies = [
        ProgressUpdate(
            id=uuid.uuid4(), recommendation_id=rec_id, assessment=update.assessment,
            narrative=update.narrative, evidence=list(update.evidence), state=state,
            author_id=actor.user.id, institution_id=update.institution_id, submitted_at=now,
            reviewed_by_id=actor.user.id if validate else None,
            review_comment=note if validate else None,
            validated_at=now if validate else None, created_at=now, updated_at=now,
        )
        for rec_id in targets
    ]  # fmt: skip
    session.add_all(copies)
    await flush_or_conflict(session)
    events: list[Event] = []
    for copy in copies:
        view = _audit_view(copy)
        view["copied_from"] = str(update.id)
        events.append(("create", "progress_update", str(copy.id), diff({}, view)))
    await record_events(session, actor, events)
    if validate and copies:
        await refresh_status(session, targets)
    for copy in copies:
        await emit(session, f"progress_update.{state}", ProgressUpdateRead.build(copy))
    return copies


def _audit_view(update: ProgressUpdate) -> dict[str, Any]:
    return ProgressUpdateRead.build(update).model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version"}
    )


async def linked_groups(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The linked group of each of these recommendations that has one."""
    found: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(ids), 1000):
        found.update(await _groups_of(session, ids[start : start + 1000]))
    return found
