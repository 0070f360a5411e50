"""How many recommendations count under each SDG goal, by status and UPR position.

Derived from recommendation (status, upr_position, archived, sdg_goal_mask) and kept by database
triggers (migration 0008), so that every write path keeps it right, the import's COPY included.
It answers corpus-wide progress by SDG without reading the corpus; anything filtered is counted
from the recommendations themselves.
"""

from sqlalchemy import Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, RankedEnum
from app.models.recommendation import Status

# Goal 0 of the tally: recommendations under at least one goal, each once.
ANY_GOAL = 0
# The tally's upr_position where the recommendation has none (a key column cannot be null).
NO_POSITION = "none"


class SdgGoalTally(Base):
    __tablename__ = "sdg_goal_tally"

    goal: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    status: Mapped[Status] = mapped_column(RankedEnum(Status), primary_key=True)
    upr_position: Mapped[str] = mapped_column(String(16), primary_key=True)
    recommendations: Mapped[int] = mapped_column(Integer)
