from pydantic import BaseModel, Field


class WorkbookOutcome(BaseModel):
    """What applying a workbook did (or, for a dry run, would do)."""

    dry_run: bool
    actions_changed: int = Field(description="Actions whose status changed")
    measurements_created: int
    measurements_changed: int = Field(description="A coordinator's corrections")
    progress_updates_created: int
    progress_updates_changed: int = Field(description="Drafts (or rejected updates) edited")
    progress_updates_submitted: int
    rows_unchanged: int = Field(description="Rows already applied, or asking for no change")
