"""What the exports read: recommendations, actions and progress updates, batch by batch.

Each export walks its rows in keyset order, `BATCH_SIZE` at a time, each batch in a short
session of its own: never the whole table in memory, and no transaction held open while a slow
client downloads. The several values of a cell are gathered by the database in the same
query (arrays on PostgreSQL, JSON arrays on SQLite), so a batch is one round trip.
"""

import functools
import json
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, func, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from app.actions.service import BY_DUE_DATE, ActionFilters, action_conditions
from app.clock import today
from app.exports.formats import Column, Row
from app.i18n import Language
from app.models.action import CLOSED_ACTION_STATUSES, Action, ActionRecommendation
from app.models.assignment import Assignment, AssignmentRole
from app.models.cluster import Cluster, ClusterRecommendation
from app.models.institution import Institution
from app.models.mechanism import Mechanism
from app.models.progress_update import ProgressUpdate
from app.models.recommendation import (
    Recommendation,
    RecommendationAffectedPerson,
    RecommendationCountry,
    RecommendationSdgGoal,
    RecommendationSdgTarget,
    RecommendationTheme,
    RecommendingState,
)
from app.models.sdg import target_sort_order
from app.models.taxonomy import AffectedPerson, Theme
from app.pagination import KeysetOrder
from app.progress_updates.service import NEWEST_FIRST, UpdateFilters, update_conditions
from app.recommendations.filters import RecommendationFilters
from app.recommendations.reads import localized_label
from app.recommendations.service import SortName, keyset_order

BATCH_SIZE = 2000

RECOMMENDATION_COLUMNS = (
    Column("uhri_id", width=16),
    Column("symbol", width=22),
    Column("paragraph", width=10),
    Column("type", "code"),
    Column("mechanism"),
    Column("mechanism_type", "code"),
    Column("countries", "list"),
    Column("text", width=80),
    Column("upr_position", "code"),
    Column("recommending_states", "list", width=30),
    Column("upr_cycle", "int", width=10),
    Column("upr_session", "int", width=10),
    Column("publication_date", "date"),
    Column("sdg_goals", "list"),
    Column("sdg_targets", "list"),
    Column("themes", "list", width=30),
    Column("affected_persons", "list", width=30),
    Column("priority", "code", width=10),
    Column("clusters", "list", width=24),
    Column("status", "code", width=20),
    Column("lead_institution", width=30),
    Column("due_date", "date"),
)
ACTION_COLUMNS = (
    Column("id", "code", width=36),
    Column("title", width=40),
    Column("description", width=60),
    Column("institution", width=30),
    Column("status", "code"),
    Column("start_date", "date"),
    Column("due_date", "date"),
    Column("completed_at", "datetime", width=20),
    Column("overdue", "bool", width=10),
    Column("recommendation_ids", "list", width=36),
    Column("recommendations", "list", width=30),
    Column("created_at", "datetime", width=20),
    Column("updated_at", "datetime", width=20),
)
PROGRESS_UPDATE_COLUMNS = (
    Column("id", "code", width=36),
    Column("recommendation_id", "code", width=36),
    Column("symbol", width=22),
    Column("paragraph", width=10),
    Column("institution", width=30),
    Column("assessment", "code", width=22),
    Column("state", "code"),
    Column("narrative", width=60),
    Column("evidence", "list", width=40),
    Column("author_id", "code", width=36),
    Column("submitted_at", "datetime", width=20),
    Column("reviewed_by_id", "code", width=36),
    Column("review_comment", width=40),
    Column("validated_at", "datetime", width=20),
    Column("created_at", "datetime", width=20),
    Column("updated_at", "datetime", width=20),
)

Finish = Callable[[Any], Row]


def _by_text(value: Any) -> Any:
    return value


def _gathered(
    dialect: str,
    value: Any,
    link_key: Any,
    owner_key: Any,
    *,
    order: Any = None,
    joins: Sequence[tuple[Any, Any]] = (),
    where: Sequence[ColumnElement[bool]] = (),
) -> Any:
    """The values linked to each row as one list-valued column: an array, in `order`, on
    PostgreSQL; a JSON array on SQLite (whose aggregates take no ORDER BY), sorted by `_list`."""
    aggregate: Any
    if dialect == "postgresql":
        aggregate = func.array_agg(aggregate_order_by(value, order if order is not None else value))
    else:
        aggregate = func.json_group_array(value)
    stmt = select(aggregate).select_from(link_key.class_)
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.where(link_key == owner_key, *where).scalar_subquery()


def _list(dialect: str, key: Callable[[Any], Any] | None = None) -> Callable[[Any], list[Any]]:
    """Turns a gathered column into a list, sorted as the API sorts it."""
    if dialect == "postgresql":
        if key is None:
            return lambda value: value or []
        return lambda value: sorted(value, key=key) if value else []
    return lambda value: sorted(json.loads(value), key=key)


def _c(column: Any) -> Any:
    """Texts ordered by code point, as Python sorts them (the API's order), whatever the
    database's collation."""
    return column.collate("C")


@functools.cache
def _recommendation_select(dialect: str, lang: Language) -> Select[Any]:
    r, mechanism = Recommendation, aliased(Mechanism)
    lead, institution = aliased(Assignment), aliased(Institution)

    def gather(value: Any, link_key: Any, **kwargs: Any) -> Any:
        return _gathered(dialect, value, link_key, r.id, **kwargs)

    theme, group = localized_label(Theme.name, lang), localized_label(AffectedPerson.name, lang)
    rc, rs, rg, rt = (
        RecommendationCountry,
        RecommendingState,
        RecommendationSdgGoal,
        RecommendationSdgTarget,
    )
    ra, rth, cr = RecommendationAffectedPerson, RecommendationTheme, ClusterRecommendation
    return (
        select(
            r.id, r.uhri_id, r.symbol, r.paragraph, r.type,
            mechanism.code.label("mechanism"), mechanism.type.label("mechanism_type"),
            gather(rc.country_iso3, rc.recommendation_id, order=_c(rc.country_iso3)),
            localized_label(r.text, lang).label("text"),
            r.upr_position,
            gather(rs.name, rs.recommendation_id, order=_c(rs.name)),
            r.upr_cycle, r.upr_session, r.publication_date,
            gather(rg.goal_number, rg.recommendation_id),
            gather(rt.target_code, rt.recommendation_id),
            gather(theme, rth.recommendation_id, order=_c(theme),
                   joins=[(Theme, Theme.id == rth.theme_id)]),
            gather(group, ra.recommendation_id, order=_c(group),
                   joins=[(AffectedPerson, AffectedPerson.id == ra.affected_person_id)]),
            r.priority,
            gather(Cluster.name, cr.recommendation_id, order=_c(Cluster.name),
                   joins=[(Cluster, Cluster.id == cr.cluster_id)],
                   where=[Cluster.archived.is_(False)]),
            r.status,
            institution.name.label("lead_institution"),
            lead.due_date,
        )
        .join(mechanism, mechanism.id == r.mechanism_id)
        .outerjoin(lead, and_(lead.recommendation_id == r.id, lead.role == AssignmentRole.lead))
        .outerjoin(institution, institution.id == lead.institution_id)
    )  # fmt: skip


def _recommendation_finish(dialect: str) -> Finish:
    countries, states, goals, themes, groups, clusters = (
        _list(dialect, _by_text) for _ in "123456"
    )
    targets = _list(dialect, target_sort_order)

    def finish(row: Any) -> Row:
        (_, uhri_id, symbol, paragraph, type_, mechanism, mechanism_type, country_list, text,
         position, state_list, cycle, session, published, goal_list, target_list, theme_list,
         group_list, priority, cluster_list, status, lead, due) = row  # fmt: skip
        return (
            uhri_id, symbol, paragraph, type_, mechanism, mechanism_type, countries(country_list),
            text, position, states(state_list), cycle, session, published, goals(goal_list),
            targets(target_list), themes(theme_list), groups(group_list), priority,
            clusters(cluster_list), status, lead, due,
        )  # fmt: skip

    return finish


async def _keyset_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    build: Callable[[str], Select[Any]],
    order: KeysetOrder[Any],
    finish: Callable[[str], Finish],
    batch_size: int | None,
) -> AsyncIterator[list[Row]]:
    batch_size = batch_size or BATCH_SIZE
    after: Sequence[Any] | None = None
    while True:
        async with sessionmaker() as session:
            dialect = session.get_bind().dialect.name
            stmt = build(dialect)
            if after is not None:
                stmt = stmt.where(order.after(after))
            stmt = stmt.order_by(*order.order_by()).limit(batch_size)
            rows = (await session.execute(stmt)).all()
        if rows:
            yield list(map(finish(dialect), rows))
        if len(rows) < batch_size:
            return
        after = order.key(rows[-1])


def recommendation_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: RecommendationFilters,
    sort: SortName,
    lang: Language,
    batch_size: int | None = None,
) -> AsyncIterator[list[Row]]:
    """The rows of RECOMMENDATION_COLUMNS for the recommendations the list would show."""
    return _keyset_batches(
        sessionmaker,
        lambda dialect: filters.apply(_recommendation_select(dialect, lang), dialect),
        keyset_order(sort),
        _recommendation_finish,
        batch_size,
    )


def recommendation_export_sql(dialect: str, filters: RecommendationFilters, lang: Language) -> Any:
    """The export's query over every matching row, in date order: what a bare COPY of the same
    columns runs (bench/export_bench.py)."""
    stmt = filters.apply(_recommendation_select(dialect, lang), dialect)
    return stmt.order_by(*keyset_order("-publication_date").order_by())


def _recommendation_label(r: Any) -> Any:
    """How an action's recommendations are named in a cell: symbol and paragraph."""
    return r.symbol + func.coalesce(" " + r.paragraph, "")


@functools.cache
def _action_select(dialect: str) -> Select[Any]:
    link, r = ActionRecommendation, Recommendation
    if dialect == "postgresql":
        ids = _gathered(dialect, link.recommendation_id, link.action_id, Action.id)
        labels = _gathered(
            dialect, _recommendation_label(r), link.action_id, Action.id,
            order=link.recommendation_id, joins=[(r, r.id == link.recommendation_id)],
        )  # fmt: skip
    else:
        # One JSON array of [id, label] pairs, so that both lists come in the order of the ids.
        pair = func.json_array(cast(link.recommendation_id, String), _recommendation_label(r))
        ids = _gathered(
            dialect, pair, link.action_id, Action.id, joins=[(r, r.id == link.recommendation_id)]
        )
        labels = ids
    return select(
        Action.id, Action.title, Action.description, Institution.name, Action.status,
        Action.start_date, Action.due_date, Action.completed_at, ids, labels,
        Action.created_at, Action.updated_at,
    ).outerjoin(Institution, Institution.id == Action.institution_id)  # fmt: skip


def _action_finish(dialect: str) -> Finish:
    on = today()

    def links(ids: Any, labels: Any) -> tuple[list[str], list[str]]:
        if dialect == "postgresql":
            return [str(i) for i in ids or []], list(labels or [])
        pairs = sorted((uuid.UUID(i), label) for i, label in json.loads(ids))
        return [str(i) for i, _ in pairs], [label for _, label in pairs]

    def finish(row: Any) -> Row:
        (id_, title, description, institution, status, start, due, completed, ids, labels,
         created, updated) = row  # fmt: skip
        overdue = due is not None and due < on and status not in CLOSED_ACTION_STATUSES
        id_list, label_list = links(ids, labels)
        return (
            str(id_), title, description, institution, status, start, due, completed, overdue,
            id_list, label_list, created, updated,
        )  # fmt: skip

    return finish


def action_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: ActionFilters,
    batch_size: int | None = None,
) -> AsyncIterator[list[Row]]:
    """The rows of ACTION_COLUMNS for the actions GET /actions would list, in its order."""
    conditions = action_conditions(filters)
    return _keyset_batches(
        sessionmaker,
        lambda dialect: _action_select(dialect).where(*conditions),
        BY_DUE_DATE,
        _action_finish,
        batch_size,
    )


_UPDATE_SELECT: Any = (
    select(
        ProgressUpdate.id, ProgressUpdate.recommendation_id, Recommendation.symbol,
        Recommendation.paragraph, Institution.name, ProgressUpdate.assessment,
        ProgressUpdate.state, ProgressUpdate.narrative, ProgressUpdate.evidence,
        ProgressUpdate.author_id, ProgressUpdate.submitted_at, ProgressUpdate.reviewed_by_id,
        ProgressUpdate.review_comment, ProgressUpdate.validated_at, ProgressUpdate.created_at,
        ProgressUpdate.updated_at,
    )
    .join(Recommendation, Recommendation.id == ProgressUpdate.recommendation_id)
    .outerjoin(Institution, Institution.id == ProgressUpdate.institution_id)
)  # fmt: skip


def _update_finish(shows_users: bool) -> Callable[[str], Finish]:
    def for_dialect(_: str) -> Finish:
        def finish(row: Any) -> Row:
            (id_, rec_id, symbol, paragraph, institution, assessment, state, narrative,
             evidence, author, submitted, reviewer, comment, validated, created,
             updated) = row  # fmt: skip
            # The public never sees who (DESIGN §6), not even as an id.
            author = str(author) if shows_users and author else None
            reviewer = str(reviewer) if shows_users and reviewer else None
            return (
                str(id_), str(rec_id), symbol, paragraph, institution, assessment, state,
                narrative, list(evidence or []), author, submitted, reviewer, comment,
                validated, created, updated,
            )  # fmt: skip

        return finish

    return for_dialect


def progress_update_batches(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: UpdateFilters,
    *,
    public: bool,
    batch_size: int | None = None,
) -> AsyncIterator[list[Row]]:
    """The rows of PROGRESS_UPDATE_COLUMNS that GET /progress-updates shows the public, or a
    signed-in reader."""
    conditions = update_conditions(public, filters)
    return _keyset_batches(
        sessionmaker,
        lambda _: _UPDATE_SELECT.where(*conditions),
        NEWEST_FIRST,
        _update_finish(not public),
        batch_size,
    )
