"""Creating, reading, changing, archiving and listing recommendations."""

import dataclasses
import uuid
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from sqlalchemy import SmallInteger, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.audit.service import diff, record_event
from app.auth.principal import Principal
from app.db import flush_or_conflict
from app.errors import Conflict, FieldProblem, NotFound, UnprocessableEntity, reject_nulls
from app.i18n import Language
from app.models.base import utcnow
from app.models.cluster import ClusterRecommendation
from app.models.country import Country
from app.models.mechanism import Mechanism, MechanismType
from app.models.recommendation import (
    Priority,
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
from app.pagination import (
    KeysetOrder,
    PageParams,
    cursor_date,
    cursor_int,
    cursor_text,
    cursor_uuid,
    paginate_rows,
)
from app.planning.references import require_existing
from app.recommendations.filters import RecommendationFilters
from app.recommendations.reads import select_for_read
from app.recommendations.schemas import (
    NOT_NULLABLE,
    RecommendationCreate,
    RecommendationRead,
    RecommendationUpdate,
    UprWrite,
)
from app.recommendations.search import search_document
from app.similarity import index as similarity_index
from app.suggestions import index as suggestion_index
from app.webhooks.events import emit_recommendations

LOAD_FOR_READ = (
    selectinload(Recommendation.mechanism),
    selectinload(Recommendation.country_links),
    selectinload(Recommendation.recommending_state_links),
    selectinload(Recommendation.theme_links).selectinload(RecommendationTheme.theme),
    selectinload(Recommendation.affected_person_links).selectinload(
        RecommendationAffectedPerson.affected_person
    ),
    selectinload(Recommendation.sdg_goal_links),
    selectinload(Recommendation.sdg_target_links),
    selectinload(Recommendation.cluster_links).selectinload(ClusterRecommendation.cluster),
)

SortName = Literal[
    "-publication_date",
    "publication_date",
    "symbol",
    "-symbol",
    "priority",
    "-priority",
    "status",
    "-status",
]

_UNSET_PRIORITY_RANK = len(Priority) + 1
_priority_rank = func.coalesce(
    type_coerce(Recommendation.priority, SmallInteger), _UNSET_PRIORITY_RANK
)
_PRIORITIES = list(Priority)
_UHRI_ID_TAKEN = "Another recommendation already has this uhri_id."


def keyset_order(name: SortName) -> KeysetOrder[Any]:
    descending = name.startswith("-")
    field = name.lstrip("-")
    column: Any
    key: Callable[[Any], Any]
    parse: Callable[[Any], Any]
    if field == "publication_date":
        column, key, parse = (
            Recommendation.publication_date,
            lambda r: r.publication_date,
            cursor_date,
        )
    elif field == "symbol":
        column, key, parse = Recommendation.symbol, lambda r: r.symbol, cursor_text
    elif field == "status":
        column, key = Recommendation.status, lambda r: r.status
        parse = lambda value: Status(cursor_text(value))  # noqa: E731
    else:
        column, parse = _priority_rank, cursor_int
        key = lambda r: (  # noqa: E731
            _PRIORITIES.index(r.priority) + 1 if r.priority else _UNSET_PRIORITY_RANK
        )
    return KeysetOrder(
        name=name,
        columns=[column, Recommendation.id],
        descending=descending,
        key=lambda r: [key(r), r.id],
        parsers=[parse, cursor_uuid],
        dump=lambda v: v if isinstance(v, int) else str(v),
    )


async def list_recommendations(
    session: AsyncSession,
    filters: RecommendationFilters,
    sort: SortName,
    params: PageParams,
    lang: Language,
) -> tuple[list[Any], str | None, int | None]:
    """A page of rows for read_models."""
    dialect = session.get_bind().dialect.name
    stmt = select_for_read(lang)
    order = keyset_order(sort)
    if len(filters.country) == 1 and order.columns[0] is Recommendation.publication_date:
        # One country, by date: walk that country's links newest first (they carry the date,
        # indexed) and fetch each recommendation by key, instead of walking the whole corpus in
        # date order and probing each for the country. Same values, so the same cursors.
        link = RecommendationCountry
        stmt = stmt.join(
            link,
            (link.recommendation_id == Recommendation.id)
            & (link.country_iso3 == filters.country[0]),
        )
        filters = dataclasses.replace(filters, country=())
        order = dataclasses.replace(order, columns=[link.publication_date, link.recommendation_id])
    return await paginate_rows(session, filters.apply(stmt, dialect), order, params)


async def find_recommendation(
    session: AsyncSession, recommendation_id: uuid.UUID, lang: Language
) -> Any | None:
    """The row for read_models (which fetches the tags)."""
    stmt = select_for_read(lang).where(Recommendation.id == recommendation_id)
    return (await session.execute(stmt)).one_or_none()


async def get_recommendation(
    session: AsyncSession, recommendation_id: uuid.UUID
) -> Recommendation | None:
    stmt = (
        select(Recommendation)
        .where(Recommendation.id == recommendation_id)
        .options(*LOAD_FOR_READ)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).one_or_none()


def suggestion_contribution(rec: Recommendation) -> suggestion_index.Contribution | None:
    """What the recommendation adds to the SDG suggestion index (its tags, under its texts)."""
    keys = {link.target_code for link in rec.sdg_target_links}
    keys |= {f"g{link.goal_number}" for link in rec.sdg_goal_links}
    if rec.archived or not keys:
        return None
    return suggestion_index.Contribution(dict(rec.text), frozenset(keys))


async def reread_for_update(session: AsyncSession, rec: Recommendation) -> Recommendation:
    """Take the recommendation's write turn, then read it again, for a change made without
    If-Match: an edit another request committed meanwhile is built on, not refused with 412.
    The turn is a write (a row lock on PostgreSQL; SQLite's one writer, whose transaction
    begins with it), so the read after it sees every commit before it."""
    await session.execute(
        update(Recommendation)
        .where(Recommendation.id == rec.id)
        .values(version=Recommendation.version)
        .execution_options(synchronize_session=False)
    )
    fresh = await get_recommendation(session, rec.id)
    if fresh is None:
        raise NotFound(f"There is no recommendation {rec.id}.")
    return fresh


@dataclass
class _Tags:
    """Tag values checked against the reference data."""

    mechanism: Mechanism | None = None
    target_goals: dict[str, int] | None = None


async def _check_references(
    session: AsyncSession, data: RecommendationCreate | RecommendationUpdate
) -> _Tags:
    problems: list[FieldProblem] = []
    tags = _Tags()

    async def missing(field: str, what: str, key: Any, values: Sequence[Any] | None) -> None:
        if not values:
            return
        found = set((await session.scalars(select(key).where(key.in_(set(values))))).all())
        problems.extend(
            FieldProblem(field=f"body.{field}", message=f"unknown {what}: {v}", code="unknown")
            for v in dict.fromkeys(values)
            if v not in found
        )

    if data.mechanism is not None:
        tags.mechanism = (
            await session.scalars(select(Mechanism).where(Mechanism.code == data.mechanism))
        ).one_or_none()
        if tags.mechanism is None:
            problems.append(
                FieldProblem(
                    field="body.mechanism",
                    message=f"unknown mechanism: {data.mechanism}",
                    code="unknown",
                )
            )
    await missing("countries", "country", Country.iso3, data.countries)
    await missing("themes", "theme", Theme.id, data.themes)
    await missing(
        "affected_persons", "affected-persons group", AffectedPerson.id, data.affected_persons
    )
    if data.sdg_targets:
        rows = await session.execute(
            select(SdgTarget.code, SdgTarget.goal_number).where(
                SdgTarget.code.in_(set(data.sdg_targets))
            )
        )
        tags.target_goals = dict(rows.all())
        problems.extend(
            FieldProblem(
                field="body.sdg_targets", message=f"unknown SDG target: {code}", code="unknown"
            )
            for code in dict.fromkeys(data.sdg_targets)
            if code not in tags.target_goals
        )
    if problems:
        raise UnprocessableEntity(
            "Some values name reference data that does not exist.", errors=problems
        )
    return tags


def _check_upr(mechanism: Mechanism, upr: UprWrite | None) -> None:
    if mechanism.type is not MechanismType.upr and upr is not None and upr != UprWrite():
        raise UnprocessableEntity.for_field(
            "body.upr", "UPR details are only for recommendations of the UPR mechanism", "not_upr"
        )


K = TypeVar("K", bound=Hashable)
L = TypeVar("L")


def _sync_links(
    collection: list[L], wanted: Iterable[K], key: Callable[[L], K], make: Callable[[K], L]
) -> None:
    """Make `collection` hold exactly one link per wanted key, touching only what differs."""
    wanted_keys = dict.fromkeys(wanted)
    for link in [link for link in collection if key(link) not in wanted_keys]:
        collection.remove(link)
    present = {key(link) for link in collection}
    collection.extend(make(k) for k in wanted_keys if k not in present)


def set_sdgs(
    rec: Recommendation, direct_goals: Iterable[int], target_goals: dict[str, int]
) -> None:
    direct = set(direct_goals)
    goals = sorted(direct | set(target_goals.values()))
    _sync_links(
        rec.sdg_target_links,
        target_goals,
        lambda link: link.target_code,
        lambda code: RecommendationSdgTarget(target_code=code),
    )
    _sync_links(
        rec.sdg_goal_links,
        goals,
        lambda link: link.goal_number,
        lambda goal: RecommendationSdgGoal(goal_number=goal, direct=goal in direct),
    )
    for link in rec.sdg_goal_links:
        link.direct = link.goal_number in direct
    rec.sdg_goal_mask = goal_mask(goals)


def set_upr(rec: Recommendation, upr: UprWrite | None) -> None:
    upr = upr or UprWrite()
    rec.upr_position, rec.upr_cycle, rec.upr_session = upr.position, upr.cycle, upr.session
    _sync_links(
        rec.recommending_state_links,
        upr.recommending_states,
        lambda link: link.name,
        lambda name: RecommendingState(name=name),
    )


def set_countries(rec: Recommendation, countries: Iterable[str]) -> None:
    _sync_links(
        rec.country_links, countries, lambda link: link.country_iso3,
        lambda iso3: RecommendationCountry(country_iso3=iso3),
    )  # fmt: skip


def set_themes(rec: Recommendation, themes: Iterable[uuid.UUID]) -> None:
    _sync_links(
        rec.theme_links, themes, lambda link: link.theme_id,
        lambda theme_id: RecommendationTheme(theme_id=theme_id),
    )  # fmt: skip


def set_affected_persons(rec: Recommendation, groups: Iterable[uuid.UUID]) -> None:
    _sync_links(
        rec.affected_person_links, groups, lambda link: link.affected_person_id,
        lambda group_id: RecommendationAffectedPerson(affected_person_id=group_id),
    )  # fmt: skip


async def _uhri_id_taken(session: AsyncSession, uhri_id: str, other_than: uuid.UUID | None) -> bool:
    stmt = select(Recommendation.id).where(Recommendation.uhri_id == uhri_id)
    found = (await session.scalars(stmt)).first()
    return found is not None and found != other_than


def audit_view(rec: Recommendation) -> dict[str, Any]:
    """The recorded state of a recommendation: what a person edits, by stable keys."""
    view = RecommendationRead.build(rec, "en").model_dump(
        mode="json", exclude={"id", "created_at", "updated_at", "version", "clusters", "status"}
    )
    view["mechanism"] = rec.mechanism.code
    view["themes"] = sorted(str(link.theme_id) for link in rec.theme_links)
    view["affected_persons"] = sorted(
        str(link.affected_person_id) for link in rec.affected_person_links
    )
    return view


async def create_recommendation(
    session: AsyncSession, data: RecommendationCreate, actor: Principal | None
) -> Recommendation:
    tags = await _check_references(session, data)
    assert tags.mechanism is not None
    _check_upr(tags.mechanism, data.upr)
    if data.uhri_id and await _uhri_id_taken(session, data.uhri_id, None):
        raise Conflict(f"A recommendation with uhri_id {data.uhri_id!r} exists already.")
    rec = Recommendation(
        id=uuid.uuid4(),
        uhri_id=data.uhri_id,
        symbol=data.symbol,
        paragraph=data.paragraph,
        type=data.type,
        mechanism_id=tags.mechanism.id,
        publication_date=data.publication_date,
        text=dict(data.text),
        priority=data.priority,
        status=Status.not_started,
        archived=False,
        country_links=[],
        recommending_state_links=[],
        theme_links=[],
        affected_person_links=[],
        sdg_goal_links=[],
        sdg_target_links=[],
    )
    set_countries(rec, data.countries)
    set_upr(rec, data.upr)
    set_themes(rec, data.themes)
    set_affected_persons(rec, data.affected_persons)
    set_sdgs(rec, data.sdg_goals, tags.target_goals or {})
    session.add(rec)
    session.add(
        RecommendationSearch(
            recommendation_id=rec.id, document=search_document(rec.symbol, rec.paragraph, rec.text)
        )
    )
    await flush_or_conflict(session, _UHRI_ID_TAKEN)
    await similarity_index.index_new(session, [(rec.id, rec.text)])
    created = await get_recommendation(session, rec.id)
    assert created is not None
    await suggestion_index.replace(session, rec.id, None, suggestion_contribution(created))
    await record_event(
        session, actor, "create", "recommendation", str(rec.id), diff({}, audit_view(created))
    )
    await emit_recommendations(session, "recommendation.created", [rec.id])
    return created


async def update_recommendation(
    session: AsyncSession, rec: Recommendation, data: RecommendationUpdate, actor: Principal | None
) -> Recommendation:
    before = audit_view(rec)
    counted = suggestion_contribution(rec)
    reject_nulls(data.model_dump(exclude_unset=True), *NOT_NULLABLE)
    sent = data.model_fields_set
    tags = await _check_references(session, data)
    mechanism = tags.mechanism or rec.mechanism
    if "mechanism" in sent or "upr" in sent:
        upr = (
            data.upr
            if "upr" in sent
            else UprWrite(
                position=rec.upr_position,
                recommending_states=[s.name for s in rec.recommending_state_links],
                cycle=rec.upr_cycle,
                session=rec.upr_session,
            )
        )
        _check_upr(mechanism, upr)
        set_upr(rec, upr)
    if "uhri_id" in sent and data.uhri_id and await _uhri_id_taken(session, data.uhri_id, rec.id):
        raise Conflict(f"A recommendation with uhri_id {data.uhri_id!r} exists already.")
    for field in (
        "uhri_id",
        "symbol",
        "paragraph",
        "type",
        "publication_date",
        "priority",
        "archived",
        "follow_up_due",
    ):
        if field in sent:
            setattr(rec, field, getattr(data, field))
    if tags.mechanism is not None:
        rec.mechanism_id, rec.mechanism = tags.mechanism.id, tags.mechanism
    if data.text is not None:
        merged: dict[str, str] = dict(rec.text)
        for lang, body in data.text.items():
            if body is None:
                merged.pop(lang, None)
            else:
                merged[lang] = body
        if not merged:
            raise UnprocessableEntity.for_field(
                "body.text", "a recommendation keeps at least one language"
            )
        rec.text = merged
    if data.countries is not None:
        set_countries(rec, data.countries)
    if data.themes is not None:
        set_themes(rec, data.themes)
    if data.affected_persons is not None:
        set_affected_persons(rec, data.affected_persons)
    if data.sdg_goals is not None or data.sdg_targets is not None:
        direct = (
            data.sdg_goals
            if data.sdg_goals is not None
            else [link.goal_number for link in rec.sdg_goal_links if link.direct]
        )
        target_goals = (
            tags.target_goals
            if data.sdg_targets is not None
            else await _target_goals(session, [link.target_code for link in rec.sdg_target_links])
        )
        set_sdgs(rec, direct, target_goals or {})
    rec.updated_at = utcnow()  # also makes the row dirty, so the version always moves
    await write_search_document(session, rec)
    await flush_or_conflict(session, _UHRI_ID_TAKEN)
    if data.text is not None or data.countries is not None:
        # After the flush, whose version check makes a concurrent edit of the same ETag wait
        # for this one and then fail with 412: it must not reach the index's rows before. The
        # index keeps a row per State, read from the links the flush wrote.
        await similarity_index.reindex(session, rec.id, rec.text)
    updated = await get_recommendation(session, rec.id)
    assert updated is not None
    await suggestion_index.replace(session, rec.id, counted, suggestion_contribution(updated))
    action = "archive" if data.archived and not before["archived"] else "update"
    await record_event(
        session, actor, action, "recommendation", str(rec.id), diff(before, audit_view(updated))
    )
    await emit_recommendations(session, f"recommendation.{action}d", [rec.id])
    return updated


async def archive_recommendation(
    session: AsyncSession, rec: Recommendation, actor: Principal | None
) -> None:
    if rec.archived:
        return
    counted = suggestion_contribution(rec)
    rec.archived = True
    rec.updated_at = utcnow()
    await flush_or_conflict(session, _UHRI_ID_TAKEN)
    await suggestion_index.replace(session, rec.id, counted, None)
    changes = {"archived": {"before": False, "after": True}}
    await record_event(session, actor, "archive", "recommendation", str(rec.id), changes)
    await emit_recommendations(session, "recommendation.archived", [rec.id])


async def _target_goals(session: AsyncSession, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = await session.execute(
        select(SdgTarget.code, SdgTarget.goal_number).where(SdgTarget.code.in_(codes))
    )
    return dict(rows.all())


async def write_search_document(session: AsyncSession, rec: Recommendation) -> None:
    await session.execute(
        update(RecommendationSearch)
        .where(RecommendationSearch.recommendation_id == rec.id)
        .values(document=search_document(rec.symbol, rec.paragraph, rec.text))
    )


async def bulk_set_priority(
    session: AsyncSession, ids: list[uuid.UUID], priority: Priority | None, actor: Principal
) -> int:
    """Set the priority of many recommendations in one transaction; each change is audited."""
    wanted = await require_existing(session, Recommendation.id, ids, "ids", "recommendation")
    changed: list[uuid.UUID] = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        recs = (
            await session.scalars(select(Recommendation).where(Recommendation.id.in_(chunk)))
        ).all()
        for rec in recs:
            if rec.priority == priority:
                continue
            before = rec.priority
            rec.priority = priority
            rec.updated_at = utcnow()
            changed.append(rec.id)
            await record_event(
                session, actor, "update", "recommendation", str(rec.id),
                {"priority": {"before": before, "after": priority}},
            )  # fmt: skip
        await flush_or_conflict(session)
    await emit_recommendations(session, "recommendation.updated", changed)
    return len(changed)
