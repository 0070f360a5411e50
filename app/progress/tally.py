"""Recounting the SDG tally (app/models/sdg_tally.py) from the recommendations.

The triggers keep the tally; this is for the day something bypassed them (triggers disabled for
a manual bulk load, rows edited by hand). `rectrack db retally` runs it.
"""

from sqlalchemy import delete, func, insert, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.recommendation import Recommendation
from app.models.sdg import SdgGoal
from app.models.sdg_tally import ANY_GOAL, NO_POSITION, SdgGoalTally


async def recount_tally(session: AsyncSession) -> int:
    """Replace the tally with a count of the recommendations; return its number of rows."""
    if session.get_bind().dialect.name == "postgresql":
        # Writers wait until the recount commits, so that none of their changes is lost.
        await session.execute(text("LOCK TABLE recommendation IN SHARE MODE"))
    r = Recommendation
    position = func.coalesce(r.upr_position, NO_POSITION)
    counted = r.archived.is_(False)
    under_any = (
        select(literal(ANY_GOAL), r.status, position, func.count())
        .where(counted, r.sdg_goal_mask != 0)
        .group_by(r.status, position)
    )
    goal_bit = literal(1).op("<<")(SdgGoal.number - 1)
    per_goal = (
        select(SdgGoal.number, r.status, position, func.count())
        .join(SdgGoal, r.sdg_goal_mask.op("&")(goal_bit) != 0)
        .where(counted)
        .group_by(SdgGoal.number, r.status, position)
    )
    await session.execute(delete(SdgGoalTally))
    columns = ["goal", "status", "upr_position", "recommendations"]
    await session.execute(insert(SdgGoalTally).from_select(columns, union_all(under_any, per_goal)))
    return int(await session.scalar(select(func.count()).select_from(SdgGoalTally)) or 0)
