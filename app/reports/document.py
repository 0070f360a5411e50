"""A report as a list of blocks, already in its language: what every format renders.

The content is decided once (app/reports/content.py); the DOCX, Markdown and HTML writers only
lay it out, so that the three carry the same words, tables and headings.
"""

import re
from dataclasses import dataclass, field

# The API stores what it is sent, control characters included; no format may carry them (XML 1.0
# refuses them, HTML calls them errors), so every text loses them here, once for all three.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def printable(text: str) -> str:
    return _CONTROL.sub("", text)


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    # The language of the text when it is not the report's (English shown in its place).
    lang: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))


@dataclass(frozen=True)
class Heading:
    level: int  # 0 the title, 1 sections, 2 groups, 3 recommendations
    text: str
    anchor: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", printable(self.text))


@dataclass(frozen=True)
class Paragraph:
    spans: tuple[Span, ...]
    italic: bool = False  # a note rather than content
    quote: bool = False  # a recommendation's own words, set apart

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Relative column widths, for the DOCX and HTML layouts.
    widths: tuple[int, ...] = ()
    # Of the text width: a two-column summary needs no more than this.
    share: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", tuple(printable(h) for h in self.headers))
        rows = tuple(tuple(printable(cell) for cell in row) for row in self.rows)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class Contents:
    """The table of contents: a field in DOCX, a list of links elsewhere."""

    title: str
    update_hint: str


Block = Heading | Paragraph | Table | Contents


@dataclass
class Report:
    title: str
    lang: str
    right_to_left: bool
    file_stem: str
    page_label: str  # "Page %(page)s of %(pages)s", translated
    blocks: list[Block] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.title = printable(self.title)

    def headings(self, max_level: int) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading) and b.level <= max_level]
