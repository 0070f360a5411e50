"""The body of POST /api/v1/reports (DESIGN §10)."""

from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from app.i18n import Language
from app.json_types import RequestBody

ReportKind = Literal["upr_midterm", "treaty_followup", "implementation_plan"]
GroupBy = Literal["cluster", "theme", "sdg", "institution"]
ReportFormat = Literal["docx", "md", "html"]
KINDS: tuple[ReportKind, ...] = ("upr_midterm", "treaty_followup", "implementation_plan")
GROUPS: tuple[GroupBy, ...] = ("cluster", "theme", "sdg", "institution")
FORMATS: tuple[ReportFormat, ...] = ("docx", "md", "html")

MEDIA_TYPES: dict[ReportFormat, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ReportRequest(RequestBody):
    kind: ReportKind
    country: Annotated[
        str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")
    ] = Field(description="ISO3 code of the State reported on")
    mechanism: Code | None = Field(
        default=None, description="Mechanism code (`UPR` for a UPR report, `CRC`…)"
    )
    cycle: int | None = Field(default=None, ge=1, le=4, description="UPR cycle")
    symbol: Code | None = Field(
        default=None, description="Document symbol (the concluding observations)"
    )
    group_by: GroupBy = "cluster"
    lang: Language | None = Field(
        default=None,
        description="The report's language; else the request's (`?lang=`, Accept-Language)",
    )
    format: ReportFormat = "docx"

    @model_validator(mode="after")
    def _needs(self) -> Self:
        if self.kind == "upr_midterm" and self.cycle is None:
            raise ValueError("a upr_midterm report needs `cycle`")
        if self.kind == "treaty_followup":
            if self.symbol is None:
                raise ValueError("a treaty_followup report needs `symbol`")
            if self.cycle is not None:
                raise ValueError("`cycle` is for UPR reports; a treaty_followup report has none")
        return self
