"""The row every progress endpoint answers with (DESIGN §3)."""

from pydantic import BaseModel, Field

STATUS_KEYS = ("not_started", "planned", "in_progress", "partially_implemented", "implemented")
POSITION_KEYS = ("supported", "noted", "none")


class Figures(BaseModel):
    recommendations: int
    by_status: dict[str, int]
    by_upr_position: dict[str, int]
    overdue_actions: int
    implementation_rate: float = Field(
        description="(implemented + 0.5 × partially_implemented) / recommendations, 4 decimals"
    )

    @classmethod
    def from_counts(cls, cells: dict[tuple[str, str], int], overdue: int) -> "Figures":
        """From counts keyed by (status, upr position)."""
        by_status = dict.fromkeys(STATUS_KEYS, 0)
        by_position = dict.fromkeys(POSITION_KEYS, 0)
        for (status, position), count in cells.items():
            by_status[status] += count
            by_position[position] += count
        total = sum(by_status.values())
        done = by_status["implemented"] + 0.5 * by_status["partially_implemented"]
        return cls(
            recommendations=total,
            by_status=by_status,
            by_upr_position=by_position,
            overdue_actions=overdue,
            implementation_rate=round(done / total, 4) if total else 0.0,
        )


class GoalRow(Figures):
    goal: int
    title: str
    short_title: str
    colour: str


class TargetRow(Figures):
    target: str | None = Field(description="null: tagged with the goal but none of its targets")
    title: str | None


class GoalDetail(GoalRow):
    targets: list[TargetRow]


class SdgProgress(BaseModel):
    total: int
    by_status: dict[str, int]
    goals: list[GoalRow]


class KeyedRow(Figures):
    key: str
    name: str


class KeyedProgress(BaseModel):
    total: int
    by_status: dict[str, int]
    items: list[KeyedRow]
    next_cursor: None = None


class TimelinePoint(BaseModel):
    period_end: str = Field(description="The period's last day; today for the running period.")
    by_status: dict[str, int]
    complete: bool = Field(description="False for the running period: its figures may change.")


class Timeline(BaseModel):
    interval: str
    points: list[TimelinePoint]
