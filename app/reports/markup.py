"""A report as Markdown and as HTML: the same blocks as the DOCX, escaped for each."""

import html
import re

from app.reports.document import Contents, Heading, Paragraph, Report, Span, Table

CONTENTS_DEPTH = 2  # sections and groups; recommendations are too many for a contents list

# --- Markdown ------------------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# What starts a heading, quote, list, rule or underline: the punctuation gets a backslash.
_MD_LINE_START = re.compile(r"^(\s*(?:\d+(?=[.)](?:\s|$)))?)([#>+=.)-])")


def md_escape(text: str, at_line_start: bool = True) -> str:
    """Text that Markdown shows as written: no emphasis, link, raw HTML or list it could start."""
    lines = []
    split = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(split):
        if not line.strip() and len(split) > 1:
            continue  # a blank line would end the paragraph
        line = _MD_INLINE.sub(r"\\\1", line)
        if number or at_line_start:
            line = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line)
        lines.append(line)
    # A backslash at the end of a line is a line break within the paragraph.
    return "\\\n".join(lines)


def _md_cell(text: str) -> str:
    return md_escape(" ".join(text.split()), at_line_start=False) or " "


def _md_span(span: Span, first: bool) -> str:
    text = md_escape(span.text, at_line_start=first)
    core = text.strip()
    if not core or not (span.bold or span.italic):
        return text
    mark = "**" if span.bold else "*"
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{mark}{core}{mark}{trail}"


def to_markdown(report: Report) -> bytes:
    out: list[str] = []
    for block in report.blocks:
        if isinstance(block, Heading):
            out.append("#" * (block.level + 1) + " " + md_escape(" ".join(block.text.split())))
        elif isinstance(block, Contents):
            out.append("## " + md_escape(block.title))
            items = [
                "  " * (h.level - 1) + "- " + md_escape(h.text)
                for h in report.headings(CONTENTS_DEPTH)
                if h.level >= 1
            ]
            out.append("\n".join(items) if items else md_escape(block.update_hint))
        elif isinstance(block, Paragraph):
            out.append("".join(_md_span(s, i == 0) for i, s in enumerate(block.spans)))
        else:
            out.append(_md_table(block))
    return ("\n\n".join(out) + "\n").encode("utf-8")


def _md_table(table: Table) -> str:
    lines = [
        "| " + " | ".join(_md_cell(h) for h in table.headers) + " |",
        "|" + "|".join(" --- " for _ in table.headers) + "|",
    ]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines)


# --- HTML ----------------------------------------------------------------------------------

_STYLE = """
body{font-family:"Noto Sans","Segoe UI",Arial,sans-serif;line-height:1.45;color:#1a1a1a;
max-width:60rem;margin:2rem auto;padding:0 1rem}
h1{font-size:1.7rem;color:#1f3864}h2{font-size:1.35rem;color:#1f3864;margin-top:2rem;
border-bottom:1px solid #b4c6e7}h3{font-size:1.15rem;color:#2f5496}h4{font-size:1rem;
margin-bottom:.3rem}p{margin:.3rem 0}.note{color:#444}
.text{margin:.4rem 0 .5rem;padding-inline-start:.7rem;border-inline-start:3px solid #8eaadb}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border:1px solid #8eaadb;padding:.25rem .4rem;text-align:start;vertical-align:top}
th{background:#d9e2f3}nav ul{list-style:none;padding-inline-start:1rem}
@media print{body{max-width:none;margin:0}h2,h3,h4{break-after:avoid}tr{break-inside:avoid}
thead{display:table-header-group}nav a{color:inherit;text-decoration:none}}
@page{size:A4;margin:2cm}
""".strip()


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_text(text: str) -> str:
    return "<br>".join(_e(line) for line in text.replace("\r\n", "\n").split("\n"))


def _html_span(span: Span) -> str:
    text = _html_text(span.text)
    if span.lang:
        direction = "rtl" if span.lang == "ar" else "ltr"
        text = f'<span lang="{_e(span.lang)}" dir="{direction}">{text}</span>'
    if span.italic:
        text = f"<em>{text}</em>"
    if span.bold:
        text = f"<strong>{text}</strong>"
    return text


def to_html(report: Report) -> bytes:
    direction = "rtl" if report.right_to_left else "ltr"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{_e(report.lang)}" dir="{direction}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(report.title)}</title><style>{_STYLE}</style></head>",
        "<body><main>",
    ]
    for block in report.blocks:
        if isinstance(block, Heading):
            tag = f"h{min(block.level + 1, 6)}"
            out.append(f'<{tag} id="{_e(block.anchor)}">{_e(block.text)}</{tag}>')
        elif isinstance(block, Contents):
            out.append(_html_contents(report, block))
        elif isinstance(block, Paragraph):
            css = ' class="note"' if block.italic else ' class="text"' if block.quote else ""
            out.append(f"<p{css}>{''.join(_html_span(s) for s in block.spans)}</p>")
        else:
            out.append(_html_table(block))
    out.append("</main></body></html>")
    return ("\n".join(out) + "\n").encode("utf-8")


def _html_contents(report: Report, block: Contents) -> str:
    items = []
    for heading in report.headings(CONTENTS_DEPTH):
        if heading.level < 1:
            continue
        indent = ' style="padding-inline-start:1.5rem"' if heading.level > 1 else ""
        items.append(f'<li{indent}><a href="#{_e(heading.anchor)}">{_e(heading.text)}</a></li>')
    return (
        f'<nav aria-labelledby="contents"><h2 id="contents">{_e(block.title)}</h2>'
        f"<ul>{''.join(items)}</ul></nav>"
    )


def _html_table(table: Table) -> str:
    width = f' style="width:{round(table.share * 100)}%"' if table.share < 1 else ""
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in table.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_html_text(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    return f"<table{width}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
