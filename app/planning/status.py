"""The derived status of recommendations (DESIGN §4), recomputed in SQL for those a change touches.

1. It has a validated progress update: the assessment of the latest one (by validated_at).
2. Else, an action linked to it is in progress or completed: in_progress.
3. Else, it has an assignment or a linked action that is not cancelled: planned.
4. Else: not_started.

The status is stored (so that filtering and sorting by it use an index) and recomputed in the
transaction of every change that can move it. It is derived, so it does not move the ETag: a focal
point's report does not make a coordinator's pending edit fail.
"""

import uuid
from collections.abc import Iterable
from typing import cast

from sqlalchemy import ColumnElement, Table, case, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.action import Action, ActionRecommendation, ActionStatus
from app.models.assignment import Assignment
from app.models.progress_update import Assessment, ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation, Status

_CHUNK = 500
_RANK = {status: rank for rank, status in enumerate(Status, start=1)}
_ASSESSMENT_RANK = {str(a): _RANK[Status(str(a))] for a in Assessment}


_TABLE = cast(Table, Recommendation.__table__)


def status_expression() -> ColumnElement[int]:
    """The status rank of `recommendation` rows, as SQL."""
    rec_id = _TABLE.c.id
    validated = (ProgressUpdate.recommendation_id == rec_id) & (
        ProgressUpdate.state == UpdateState.validated
    )
    latest_assessment = (
        select(ProgressUpdate.assessment)
        .where(validated)
        .order_by(ProgressUpdate.validated_at.desc(), ProgressUpdate.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    linked = (ActionRecommendation.recommendation_id == rec_id) & (
        ActionRecommendation.action_id == Action.id
    )
    working = exists().where(
        linked, Action.status.in_([ActionStatus.in_progress, ActionStatus.completed])
    )
    live = exists().where(linked, Action.status != ActionStatus.cancelled)
    assigned = exists().where(Assignment.recommendation_id == rec_id)
    return case(
        (exists().where(validated), case(_ASSESSMENT_RANK, value=latest_assessment)),
        (working, _RANK[Status.in_progress]),
        (or_(assigned, live), _RANK[Status.planned]),
        else_=_RANK[Status.not_started],
    )


async def refresh_status(session: AsyncSession, recommendation_ids: Iterable[uuid.UUID]) -> None:
    ids = list(dict.fromkeys(recommendation_ids))
    if not ids:
        return
    await session.flush()
    new_status = status_expression()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        await session.execute(
            update(_TABLE)
            .where(_TABLE.c.id.in_(chunk))
            .values(status=new_status)
            .execution_options(synchronize_session=False)
        )
