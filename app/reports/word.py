"""A report as a DOCX the NMRF edits in a word processor: real heading styles (so the navigation
pane and the table of contents work), real tables with a repeated header row, a table-of-contents
field, page numbers in the footer, A4 pages; right to left throughout for Arabic.

The body is written as WordprocessingML text and parsed once: building thousands of paragraphs
and table cells one python-docx call at a time is several times slower.
"""

import io
import re
import zipfile
from typing import Any
from xml.sax.saxutils import escape

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor

from app.reports.document import Contents, Heading, Paragraph, Report, Span, Table

W_NS = nsdecls("w")
# Characters XML 1.0 cannot carry (a text pasted from elsewhere may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
TEXT_WIDTH_TWIPS = 9072  # A4 less 2.5 cm margins: 16 cm
TOC_DEPTH = 2
STYLE_IDS = {0: "Title", 1: "Heading1", 2: "Heading2", 3: "Heading3"}
LANG_TAGS = {
    "en": "en-GB",
    "fr": "fr-FR",
    "es": "es-ES",
    "ar": "ar-SA",
    "ru": "ru-RU",
    "zh": "zh-CN",
}


def _clean(text: str) -> str:
    return escape(_NOT_XML.sub("", text))


class _Writer:
    def __init__(self, report: Report) -> None:
        self.report = report
        self.rtl = report.right_to_left
        self.parts: list[str] = []

    def ppr(self, style: str | None = None, keep_next: bool = False, spacing: str = "") -> str:
        # In the schema's order: pStyle, keepNext, bidi, spacing.
        inner = f'<w:pStyle w:val="{style}"/>' if style else ""
        inner += ("<w:keepNext/>" if keep_next else "") + ("<w:bidi/>" if self.rtl else "")
        inner += spacing
        return f"<w:pPr>{inner}</w:pPr>" if inner else ""

    def run(
        self, text: str, bold: bool = False, italic: bool = False, lang: str | None = None
    ) -> str:
        props = ("<w:b/><w:bCs/>" if bold else "") + ("<w:i/><w:iCs/>" if italic else "")
        if self.rtl and lang is None:
            props += "<w:rtl/>"
        if lang is not None:
            props += f'<w:lang w:val="{LANG_TAGS.get(lang, lang)}"/>'
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        lines = _clean(text).replace("\r\n", "\n").split("\n")
        body = '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)
        return f'<w:r>{rpr}<w:t xml:space="preserve">{body}</w:t></w:r>'

    def span(self, span: Span) -> str:
        return self.run(span.text, span.bold, span.italic, span.lang)

    def heading(self, block: Heading) -> None:
        style = STYLE_IDS[min(block.level, 3)]
        self.parts.append(f"<w:p>{self.ppr(style, keep_next=True)}{self.run(block.text)}</w:p>")

    def paragraph(self, block: Paragraph) -> None:
        runs = "".join(self.span(s) for s in block.spans)
        style = "RecommendationText" if block.quote else None
        self.parts.append(f"<w:p>{self.ppr(style)}{runs}</w:p>")

    def contents(self, block: Contents) -> None:
        """A TOC field whose shown result lists the headings already (without page numbers),
        so the contents read right before the field is updated; Word updates it on opening."""
        self.parts.append(f"<w:p>{self.ppr('TOCHeading')}{self.run(block.title)}</w:p>")
        begin = (
            '<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r>'
            f'<w:r><w:instrText xml:space="preserve"> TOC \\o "1-{TOC_DEPTH}" \\h \\z \\u '
            '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        )
        end = '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        self.parts.append(
            f"<w:p>{self.ppr('TOC1')}{begin}{self.run(block.update_hint, italic=True)}</w:p>"
        )
        for heading in self.report.headings(TOC_DEPTH):
            if heading.level >= 1:
                style = f"TOC{heading.level}"
                self.parts.append(f"<w:p>{self.ppr(style)}{self.run(heading.text)}</w:p>")
        self.parts.append(f"<w:p>{self.ppr('TOC1')}{end}</w:p>")

    def table(self, block: Table) -> None:
        widths = block.widths or (1,) * len(block.headers)
        total = int(TEXT_WIDTH_TWIPS * block.share)
        twips = [total * w // sum(widths) for w in widths]
        grid = "".join(f'<w:gridCol w:w="{t}"/>' for t in twips)
        bidi = "<w:bidiVisual/>" if self.rtl else ""
        out = [
            f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/>{bidi}'
            f'<w:tblW w:w="{total}" w:type="dxa"/><w:tblLayout w:type="fixed"/>'
            '<w:tblCellMar><w:top w:w="29" w:type="dxa"/><w:bottom w:w="29" w:type="dxa"/>'
            "</w:tblCellMar>"
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>"
        ]
        # The header row repeats on every page the table runs over; rows do not split.
        out.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>")
        for text, width in zip(block.headers, twips, strict=True):
            out.append(self.cell(text, width, header=True))
        out.append("</w:tr>")
        for row in block.rows:
            out.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
            out += [self.cell(text, width) for text, width in zip(row, twips, strict=True)]
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self.parts.append("".join(out))
        # Two tables in a row would merge into one: a small paragraph keeps them apart.
        spacer = self.ppr(spacing='<w:spacing w:after="60"/>')
        self.parts.append(f"<w:p>{spacer}</w:p>")

    def cell(self, text: str, width: int, header: bool = False) -> str:
        shade = '<w:shd w:val="clear" w:color="auto" w:fill="D9E2F3"/>' if header else ""
        return (
            f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{shade}</w:tcPr>'
            f"<w:p>{self.ppr('TableText')}{self.run(text, bold=header)}</w:p></w:tc>"
        )

    def body(self) -> str:
        for block in self.report.blocks:
            if isinstance(block, Heading):
                self.heading(block)
            elif isinstance(block, Contents):
                self.contents(block)
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            else:
                self.table(block)
        return "".join(self.parts)


def to_docx(report: Report) -> bytes:
    document = docx.Document()
    _styles(document, report)
    _page(document, report)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    properties = document.core_properties
    properties.title = report.title
    properties.language = LANG_TAGS[report.lang]
    properties.author = "rectrack"
    # Word refreshes the table of contents (and its page numbers) when the file is opened.
    _insert(
        document.settings.element,
        f'<w:updateFields {W_NS} w:val="true"/>',
        SETTINGS_AFTER_UPDATE_FIELDS,
    )
    out = io.BytesIO()
    document.save(out)
    return _with_body(out.getvalue(), _Writer(report).body())


def _with_body(package: bytes, body: str) -> bytes:
    """The saved package with the report's body written into word/document.xml as text.

    Parsing the body and moving thousands of elements into python-docx's tree took longer than
    everything else together (18 s for 2,000 recommendations, element by element); the tests
    read every file back with python-docx, which parses it, so the text is checked there."""
    source = io.BytesIO(package)
    out = io.BytesIO()
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "word/document.xml":
                xml = data.decode("utf-8")
                at = xml.index("<w:sectPr", xml.index("<w:body"))
                data = (xml[:at] + body + xml[at:]).encode("utf-8")
            new.writestr(item, data, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _styles(document: docx.document.Document, report: Report) -> None:
    styles = document.styles
    lang = LANG_TAGS[report.lang]
    # Defaults for every run: the report's language (spelling, fonts for Chinese and Arabic).
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    latin = lang if report.lang not in ("ar", "zh") else "en-GB"
    _insert(
        rpr,
        f'<w:lang {W_NS} w:val="{latin}" w:eastAsia="zh-CN" w:bidi="ar-SA"/>',
        ("w:eastAsianLayout", "w:specVanish", "w:oMath"),
    )
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = parse_xml(f"<w:rFonts {W_NS}/>")
        rpr.insert(0, fonts)
    fonts.set(qn("w:ascii"), "Calibri")
    fonts.set(qn("w:hAnsi"), "Calibri")
    fonts.set(qn("w:cs"), "Arial")
    fonts.set(qn("w:eastAsia"), "Microsoft YaHei")
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    normal = styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    _insert(normal.element.get_or_add_rPr(), f'<w:szCs {W_NS} w:val="21"/>', RPR_AFTER_SZCS)
    for level, size in ((1, 15), (2, 13), (3, 11)):
        style = styles[f"Heading {level}"]
        style.font.size = Pt(size)
        style.font.color.rgb = (
            RGBColor(0x1F, 0x38, 0x64) if level < 3 else RGBColor(0x2F, 0x54, 0x96)
        )
        style.paragraph_format.space_before = Pt(14 if level == 1 else 10)
        style.paragraph_format.space_after = Pt(4)
        _plain_fonts(style)
    title = styles["Title"]
    title.font.size = Pt(22)
    _plain_fonts(title)
    _plain_fonts(styles["TOC Heading"])
    for level in (1, 2):
        toc = styles.add_style(f"toc {level}", WD_STYLE_TYPE.PARAGRAPH)
        toc.element.set(qn("w:styleId"), f"TOC{level}")
        toc.base_style = normal
        toc.next_paragraph_style = normal
        toc.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        toc.paragraph_format.space_after = Pt(2)
    quoted = styles.add_style("Recommendation Text", WD_STYLE_TYPE.PARAGRAPH)
    quoted.element.set(qn("w:styleId"), "RecommendationText")
    quoted.base_style = normal
    # The side a line starts from: the right in Arabic.
    side = "right" if report.right_to_left else "left"
    setattr(quoted.paragraph_format, f"{side}_indent", Cm(0.6))
    quoted.paragraph_format.space_after = Pt(6)
    quoted.font.color.rgb = RGBColor(0x26, 0x26, 0x26)
    _insert(
        quoted.element.get_or_add_pPr(),
        f'<w:pBdr {W_NS}><w:{side} w:val="single" w:sz="12" w:space="8" w:color="8EAADB"/>'
        "</w:pBdr>",
        PPR_AFTER_PBDR,
    )
    cells = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
    cells.element.set(qn("w:styleId"), "TableText")
    cells.base_style = normal
    cells.font.size = Pt(9)
    cells.paragraph_format.space_after = Pt(0)


def _plain_fonts(style: docx.styles.style.BaseStyle) -> None:
    """The heading styles name theme fonts; use the document's (Chinese and Arabic included)."""
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is not None:
        rpr.remove(fonts)


def _page(document: docx.document.Document, report: Report) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.5))
    if report.right_to_left:
        _insert(
            section._sectPr, f"<w:bidi {W_NS}/>", ("w:rtlGutter", "w:docGrid", "w:printerSettings")
        )
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if report.right_to_left:
        _insert(footer._p.get_or_add_pPr(), f"<w:bidi {W_NS}/>", PPR_AFTER_BIDI)
    # "Page %(page)s of %(pages)s" in the report's language, the numbers as PAGE and NUMPAGES.
    pieces = re.split(r"(%\(pages?\)s)", report.page_label)
    for piece in pieces:
        if piece in ("%(page)s", "%(pages)s"):
            instr = "PAGE" if piece == "%(page)s" else "NUMPAGES"
            footer._p.append(
                parse_xml(
                    f'<w:fldSimple {W_NS} w:instr=" {instr} \\* MERGEFORMAT "><w:r><w:t>1</w:t>'
                    "</w:r></w:fldSimple>"
                )
            )
        elif piece:
            footer.add_run(piece)


# Word refuses a part whose children are out of the schema's order: each insertion names the
# elements that must follow it.
PPR_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                  "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                  "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId",
                  "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")  # fmt: skip
PPR_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                  "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                  "w:bidi", *PPR_AFTER_BIDI)  # fmt: skip
RPR_AFTER_SZCS = ("w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText",
                  "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout",
                  "w:specVanish", "w:oMath")  # fmt: skip
SETTINGS_AFTER_UPDATE_FIELDS = ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat",
                                "w:docVars", "w:rsids", "m:mathPr", "w:attachedSchema",
                                "w:themeFontLang", "w:clrSchemeMapping",
                                "w:doNotIncludeSubdocsInStats", "w:doNotAutoCompressPictures",
                                "w:forceUpgrade", "w:captions", "w:readModeInkLockDown",
                                "w:smartTagType", "sl:schemaLibrary", "w:shapeDefaults",
                                "w:doNotEmbedSmartTags", "w:decimalSymbol",
                                "w:listSeparator")  # fmt: skip


def _insert(parent: Any, xml: str, followers: tuple[str, ...]) -> None:
    """Put the element before the first of `followers` present, else last."""
    element = parse_xml(xml)
    for tag in followers:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(element)
            return
    parent.append(element)
