"""An SVG chart of progress: one horizontal bar per goal (or target), stacked by status.

Each bar is drawn in its goal's official colour, from solid (implemented) to pale (not started),
so the chart reads in the SDG palette and still tells the statuses apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.progress.schemas import Figures, SdgProgress

# Opacity of each status's segment, most advanced first; the order bars are stacked in.
SHADES = (
    ("implemented", 1.0),
    ("partially_implemented", 0.72),
    ("in_progress", 0.48),
    ("planned", 0.28),
    ("not_started", 0.12),
)
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
# Average advance of a character at 13 px; wide (CJK) characters count double.
_CHAR, _MAX_LABEL = 7.0, 440


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


def render(title: str, bars: Sequence[Bar], lang: str) -> str:
    # Right-to-left text is embedded (U+202B…U+202C) rather than given direction="rtl", which
    # would flip what text-anchor means and push the labels into the bars.
    rtl = lang == "ar"

    def text(value: str) -> str:
        return escape(f"\u202b{value}\u202c" if rtl else value)

    widest = max((bar.figures.recommendations for bar in bars), default=0) or 1
    label_width = min(_MAX_LABEL, max((_text_width(b.label) for b in bars), default=0) + 16)
    width = int(label_width + _BAR_WIDTH + 70)
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
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW
        parts.append(
            f'<text x="{label_width - 8:.0f}" y="{y + 17}" text-anchor="end">'
            f"<title>{escape(bar.label)}</title>{text(_fit(bar.label, label_width - 16))}</text>"
        )
        x = float(label_width)
        for status, opacity in SHADES:
            count = bar.figures.by_status[status]
            if not count:
                continue
            length = _BAR_WIDTH * count / widest
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 4}" width="{length:.1f}" height="{_ROW - 8}" '
                f'fill="{bar.colour}" fill-opacity="{opacity}">'
                f"<title>{escape(status)}: {count}</title></rect>"
            )
            x += length
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}">{bar.figures.recommendations}</text>')
    legend_top = _TOP + len(bars) * _ROW + 20
    for (_, opacity), (name, x, row) in zip(SHADES, legend, strict=True):
        legend_y = legend_top + 22 * row
        parts.append(
            f'<rect x="{x:.0f}" y="{legend_y}" width="14" height="14" fill="#555555" '
            f'fill-opacity="{opacity}"/>'
            f'<text x="{x + 18:.0f}" y="{legend_y + 12}" font-size="11">{text(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _legend_layout(names: Sequence[str], width: int) -> list[tuple[str, float, int]]:
    """Each legend entry with its x and row, wrapping to a new row when one would overflow."""
    placed: list[tuple[str, float, int]] = []
    x, row = 20.0, 0
    for name in names:
        entry = 18 + _text_width(name, 6.2) + 24
        if x + entry > width - 10 and placed:
            x, row = 20.0, row + 1
        placed.append((name, x, row))
        x += entry
    return placed


def sdg_chart(progress: SdgProgress, lang: str) -> str:
    """The 17 goals as bars stacked by status, titled in `lang`."""
    bars = [Bar(f"{row.goal}. {row.short_title}", row.colour, row) for row in progress.goals]
    return render(SDG_CHART_TITLES.get(lang, SDG_CHART_TITLES["en"]), bars, lang)
