"""A report as a list of blocks, already in its language: what every format renders.

The content is decided once (app/reports/content.py); the DOCX, Markdown and HTML writers only
lay it out, so that the three carry the same words, tables and headings.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    italic: bool = False
    # The language of the text when it is not the report's (English shown in its place).
    lang: str | None = None


@dataclass(frozen=True)
class Heading:
    level: int  # 0 the title, 1 sections, 2 groups, 3 recommendations
    text: str
    anchor: str


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

    def headings(self, max_level: int) -> list[Heading]:
        return [b for b in self.blocks if isinstance(b, Heading) and b.level <= max_level]
