"""An SVG chart of progress: one horizontal bar per goal (or target), stacked by status.

Each bar is drawn in its goal's official colour, from solid (implemented) to light and outlined
(not started), so the chart reads in the SDG palette and still tells the statuses apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.progress.schemas import Figures, SdgProgress

# Opacity of each status's segment, most advanced first; the order bars are stacked in. "Not
# started" was drawn at 12%, which left most bars and its legend swatch barely visible on white:
# it is now a light fill with an outline in the goal's colour.
SHADES = (
    ("implemented", 1.0),
    ("partially_implemented", 0.75),
    ("in_progress", 0.52),
    ("planned", 0.34),
    ("not_started", 0.2),
)
OUTLINED = "not_started"
Shade = tuple[str, float]
LEGEND = {
    "en": ("Implemented", "Partially implemented", "In progress", "Planned", "Not started"),
    "fr": (
        "Mise en œuvre",
        "Partiellement mise en œuvre",
        "En cours",
        "Planifiée",
        "Non commencée",
    ),
    "es": ("Aplicada", "Parcialmente aplicada", "En curso", "Planificada", "No iniciada"),
    "ar": ("نُفذت", "نُفذت جزئيًا", "قيد التنفيذ", "مخطط لها", "لم تبدأ"),
    "ru": ("Выполнена", "Частично выполнена", "Выполняется", "Запланирована", "Не начата"),
    "zh": ("已落实", "部分落实", "正在落实", "已规划", "尚未开始"),
}
SDG_CHART_TITLES = {
    "en": "Progress by SDG",
    "fr": "Progrès par ODD",
    "es": "Avances por ODS",
    "ar": "التقدم حسب أهداف التنمية المستدامة",
    "ru": "Прогресс по ЦУР",
    "zh": "按可持续发展目标分列的进展",
}
_BAR_WIDTH, _ROW, _TOP = 520, 26, 48
# Average advance of a character at 13 px (a generous one, so that estimates err wide); wide
# (CJK) characters count double.
_CHAR, _MAX_LABEL = 7.4, 440
# Room kept between the chart's edge and the nearest label or legend entry.
MARGIN = 16


def _text_width(text: str, char: float = _CHAR) -> float:
    return sum(char * (2 if ord(c) > 0x2E80 else 1) for c in text)


def _fit(label: str, room: float) -> str:
    if _text_width(label) <= room:
        return label
    while label and _text_width(label + "…") > room:
        label = label[:-1]
    return label.rstrip() + "…"


@dataclass(frozen=True)
class Bar:
    label: str
    colour: str
    figures: Figures


def _segment(
    x: float, y: float, size: tuple[float, float], colour: str, shade: tuple[str, float]
) -> str:
    """An open <rect> of one status's shade of `colour` (outlined when it is the palest)."""
    status, opacity = shade
    outline = f' stroke="{colour}" stroke-width="1"' if status == OUTLINED else ""
    return (
        f'<rect x="{x:.1f}" y="{y}" width="{size[0]:.1f}" height="{size[1]}" fill="{colour}" '
        f'fill-opacity="{opacity}"{outline}>'
    )


def render(title: str, bars: Sequence[Bar], lang: str) -> str:
    """Left to right, or mirrored for Arabic: labels on the right, bars growing leftwards, the
    legend from the right. Right-to-left text is embedded (U+202B…U+202C) rather than given
    direction="rtl", which would flip what text-anchor means."""
    rtl = lang == "ar"

    def text(value: str) -> str:
        return escape(f"\u202b{value}\u202c" if rtl else value)

    widest = max((bar.figures.recommendations for bar in bars), default=0) or 1
    label_width = min(_MAX_LABEL, max((_text_width(b.label) for b in bars), default=0)) + MARGIN
    width = int(MARGIN + label_width + _BAR_WIDTH + 60)

    def mirrored(x: float, length: float = 0.0) -> float:
        return width - x - length if rtl else x

    legend = _legend_layout(LEGEND.get(lang, LEGEND["en"]), width)
    height = _TOP + len(bars) * _ROW + 30 + 22 * (max(row for _, _, row in legend) + 1)
    label = escape(title, {'"': "&quot;"})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'font-family="Noto Sans, Arial, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">'
        f"{text(title)}</text>",
    ]
    # Labels end at the bars (left to right) or at the right margin (mirrored); either way the
    # longest starts MARGIN from an edge at least.
    label_end = width - MARGIN if rtl else MARGIN + label_width - 8
    bars_from = MARGIN + label_width
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW
        parts.append(
            f'<text x="{label_end:.0f}" y="{y + 17}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{text(_fit(bar.label, label_width - 8))}</text>"
        )
        x = float(bars_from)
        for shade in SHADES:
            status = shade[0]
            count = bar.figures.by_status[status]
            if not count:
                continue
            length = _BAR_WIDTH * count / widest
            parts.append(
                _segment(mirrored(x, length), y + 4, (length, _ROW - 8), bar.colour, shade)
                + f"<title>{escape(status)}: {count}</title></rect>"
            )
            x += length
        figure = str(bar.figures.recommendations)
        count_x = mirrored(x + 6, _text_width(figure))
        parts.append(f'<text x="{count_x:.1f}" y="{y + 17}">{figure}</text>')
    # The swatches take the first bar's colour, as bars are in their goals' colours (a grey
    # legend matched none of them).
    colour = bars[0].colour if bars else "#555555"
    legend_top = _TOP + len(bars) * _ROW + 20
    for shade, (name, x, row) in zip(SHADES, legend, strict=True):
        legend_y = legend_top + 22 * row
        swatch_x = mirrored(x, 14)
        name_x = swatch_x - 4 - _text_width(name, 6.2) if rtl else x + 18
        parts.append(
            _segment(swatch_x, legend_y, (14, 14), colour, shade) + "</rect>"
            f'<text x="{name_x:.0f}" y="{legend_y + 12}" font-size="11">{text(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _legend_layout(names: Sequence[str], width: int) -> list[tuple[str, float, int]]:
    """Each legend entry with its x (from the start edge) and row, wrapping to a new row when
    one would overflow."""
    placed: list[tuple[str, float, int]] = []
    x, row = float(MARGIN), 0
    for name in names:
        entry = 18 + _text_width(name, 6.2) + 24
        if x + entry > width - MARGIN and placed:
            x, row = float(MARGIN), row + 1
        placed.append((name, x, row))
        x += entry
    return placed


def sdg_chart(progress: SdgProgress, lang: str) -> str:
    """The 17 goals as bars stacked by status, titled in `lang`."""
    bars = [Bar(f"{row.goal}. {row.short_title}", row.colour, row) for row in progress.goals]
    return render(SDG_CHART_TITLES.get(lang, SDG_CHART_TITLES["en"]), bars, lang)
