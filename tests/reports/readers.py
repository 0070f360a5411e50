"""Reading a produced report back into one outline per format, to compare with each other and
with the database: ("h", level, text), ("p", text), ("t", headers, rows)."""

import io
import re
import zipfile
from html.parser import HTMLParser
from typing import Any

import docx
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph

Outline = list[tuple[Any, ...]]
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _docx_text(paragraph: DocxParagraph) -> str:
    # Line breaks inside a run (a narrative's paragraphs) count as spaces.
    parts = []
    for node in paragraph._p.iter(f"{W}t", f"{W}br"):
        parts.append(node.text or "" if node.tag == f"{W}t" else "\n")
    return "".join(parts)


def docx_outline(content: bytes) -> tuple[Outline, list[str]]:
    """The body's outline, and the table of contents' entries (the TOC field's shown result)."""
    document = docx.Document(io.BytesIO(content))
    outline: Outline = []
    contents: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, DocxTable):
            rows = [tuple(_flat(c.text) for c in row.cells) for row in item.rows]
            outline.append(("t", rows[0], tuple(rows[1:])))
            continue
        style = item.style.name if item.style is not None else ""
        text = _flat(_docx_text(item))
        if style.lower().startswith("toc"):
            if style.lower() in ("toc 1", "toc 2") and text and not _hint(item):
                contents.append(text)
            elif style == "TOC Heading":
                outline.append(("h", 1, text))
            continue
        if style == "Title":
            outline.append(("h", 0, text))
        elif style.startswith("Heading "):
            outline.append(("h", int(style.split()[1]), text))
        elif text:
            outline.append(("p", text))
    return outline, contents


def docx_xml(content: bytes, part: str = "word/document.xml") -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as package:
        return package.read(part).decode("utf-8")


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline: Outline = []
        self.contents: list[str] = []
        self.html_attrs: dict[str, str | None] = {}
        self.text: list[str] | None = None
        self.tag = ""
        self.rows: list[tuple[str, ...]] = []
        self.row: list[str] = []
        self.in_nav = False
        self.langs: list[tuple[str | None, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.html_attrs = dict(attrs)
        elif tag == "nav":
            self.in_nav = True
        elif tag in ("h1", "h2", "h3", "h4", "p", "th", "td", "a"):
            if tag == "a" and not self.in_nav:
                return
            self.text, self.tag = [], tag
        elif tag == "br" and self.text is not None:
            self.text.append("\n")
        elif tag == "tr":
            self.row = []
        elif tag == "table":
            self.rows = []
        elif tag == "span":
            found = dict(attrs)
            self.langs.append((found.get("lang"), found.get("dir")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self.in_nav = False
        elif tag == self.tag and self.text is not None:
            text = _flat("".join(self.text))
            self.text = None
            if tag == "a":
                self.contents.append(text)
            elif tag.startswith("h"):
                self.outline.append(("h", int(tag[1]) - 1, text))
            elif tag == "p" and text:
                self.outline.append(("p", text))
            elif tag in ("th", "td"):
                self.row.append(text)
        elif tag == "tr":
            self.rows.append(tuple(self.row))
        elif tag == "table":
            self.outline.append(("t", self.rows[0], tuple(self.rows[1:])))

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)


def html_outline(content: bytes) -> tuple[Outline, list[str], dict[str, str | None], list[Any]]:
    reader = _HtmlReader()
    reader.feed(content.decode("utf-8"))
    reader.close()
    return reader.outline, reader.contents, reader.html_attrs, reader.langs


_UNESCAPE = re.compile(r"\\([\\`*_\[\]<>|~&#>+=.)-])")


def _md_inline(text: str) -> str:
    # Bold and italic markers are the unescaped * (escaped ones are text).
    text = text.replace("\\\n", "\n")
    text = re.sub(r"(?<!\\)\*", "", text)
    return _flat(_UNESCAPE.sub(r"\1", text))


def _md_cells(line: str) -> tuple[str, ...]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return tuple(_md_inline(c) for c in cells)


def md_outline(content: bytes) -> tuple[Outline, list[str]]:
    outline: Outline = []
    contents: list[str] = []
    for block in content.decode("utf-8").split("\n\n"):
        block = block.strip("\n")
        heading = re.match(r"^(#+) (.*)$", block)
        if not block:
            continue
        if heading and "\n" not in block:
            outline.append(("h", len(heading.group(1)) - 1, _md_inline(heading.group(2))))
        elif block.startswith("|"):
            lines = block.split("\n")
            assert re.match(r"^\|( --- \|)+$", lines[1]), lines[1]
            rows = [_md_cells(line) for line in lines[:1] + lines[2:]]
            outline.append(("t", rows[0], tuple(rows[1:])))
        elif block.startswith("- "):
            contents += [_md_inline(line.strip()[2:]) for line in block.split("\n")]
        else:
            outline.append(("p", _md_inline(block)))
    return outline, contents


def _hint(paragraph: DocxParagraph) -> bool:
    """The italic line the TOC field shows until a word processor updates it."""
    return any(run.italic for run in paragraph.runs if run.text)
