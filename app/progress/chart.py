"""An SVG chart of progress: one horizontal bar per goal (or target), stacked by status.

Each bar is drawn in its goal's official colour, from solid (implemented) to pale (not started),
so the chart reads in the SDG palette and still tells the statuses apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.progress.schemas import Figures

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
_LABEL_WIDTH, _BAR_WIDTH, _ROW, _TOP = 300, 520, 26, 48


@dataclass(frozen=True)
class Bar:
    label: str
    colour: str
    figures: Figures


def render(title: str, bars: Sequence[Bar], lang: str) -> str:
    rtl = lang == "ar"
    direction = ' direction="rtl"' if rtl else ""
    widest = max((bar.figures.recommendations for bar in bars), default=0) or 1
    height = _TOP + len(bars) * _ROW + 70
    width = _LABEL_WIDTH + _BAR_WIDTH + 90
    label = escape(title, {'"': "&quot;"})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'font-family="Noto Sans, Arial, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold"'
        f"{direction}>{escape(title)}</text>",
    ]
    for row, bar in enumerate(bars):
        y = _TOP + row * _ROW
        parts.append(
            f'<text x="{_LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end"{direction}>'
            f"{escape(bar.label)}</text>"
        )
        x = float(_LABEL_WIDTH)
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
    legend_y = _TOP + len(bars) * _ROW + 30
    names = LEGEND.get(lang, LEGEND["en"])
    for index, ((_, opacity), name) in enumerate(zip(SHADES, names, strict=True)):
        x = _LABEL_WIDTH + index * 110 - 120
        parts.append(
            f'<rect x="{x}" y="{legend_y}" width="14" height="14" fill="#555555" '
            f'fill-opacity="{opacity}"/>'
            f'<text x="{x + 18}" y="{legend_y + 12}" font-size="11"{direction}>'
            f"{escape(name)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)
