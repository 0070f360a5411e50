"""The 17 Sustainable Development Goals and their 169 targets."""

from sqlalchemy import JSON, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base


class SdgGoal(Base):
    __tablename__ = "sdg_goal"

    number: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    colour: Mapped[str] = mapped_column(String(7))
    # {lang: text} for each UN language known; "en" is always present.
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    short_title: Mapped[dict[str, str]] = mapped_column(JSON)

    targets: Mapped[list["SdgTarget"]] = relationship(
        back_populates="goal", order_by="SdgTarget.sort_order"
    )


class SdgTarget(Base):
    __tablename__ = "sdg_target"

    code: Mapped[str] = mapped_column(String(8), primary_key=True)
    goal_number: Mapped[int] = mapped_column(ForeignKey("sdg_goal.number"), index=True)
    # Orders 16.2 before 16.10 and numbered targets before lettered ones.
    sort_order: Mapped[int] = mapped_column(unique=True)
    title: Mapped[dict[str, str]] = mapped_column(JSON)

    goal: Mapped[SdgGoal] = relationship(back_populates="targets")


def target_sort_order(code: str) -> int:
    """16.2 -> 16002, 16.10 -> 16010, 16.a -> 16101: numbered targets before lettered ones."""
    goal, _, suffix = code.partition(".")
    rank = int(suffix) if suffix.isdigit() else 100 + ord(suffix.lower()) - ord("a") + 1
    return int(goal) * 1000 + rank
