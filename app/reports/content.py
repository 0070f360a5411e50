"""The words of a report, in its language: headings, labels, tables (DESIGN §10).

Every label goes through the gettext catalogues of app/locale; names of reference data (States,
mechanisms, themes, SDGs) come in the report's language where known. A recommendation's text is
in that language, else in English (or the one language it has) marked as such.
"""

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from app.i18n import Language, localize
from app.progress.schemas import POSITION_KEYS, STATUS_KEYS
from app.reports.document import Block, Contents, Heading, Paragraph, Report, Span, Table
from app.reports.service import Entry, Group, IndicatorLine, ReportData
from app.web.i18n import RIGHT_TO_LEFT, speaking
from app.web.i18n import gettext as _
from app.web.labels import label

NOTHING = "—"


def build_report(data: ReportData, lang: Language) -> Report:
    with speaking(lang):
        return _Builder(data, lang).build()


class _Builder:
    def __init__(self, data: ReportData, lang: Language) -> None:
        self.data = data
        self.request = data.request
        self.lang = lang
        self.locale = Locale.parse(lang)
        self.blocks: list[Block] = []

    # --- small pieces ---------------------------------------------------------------------

    def line(self, name: str, value: str) -> None:
        self.blocks.append(Paragraph((Span(self.labelled(name), bold=True), Span(value))))

    def labelled(self, name: str) -> str:
        """ "Status: ", "Statut : ", "状态：" (each language's colon and spacing)."""
        text = _("%(label)s:") % {"label": name}
        return text if text.endswith("：") else text + " "

    def note(self, text: str) -> None:
        self.blocks.append(Paragraph((Span(text, italic=True),), italic=True))

    def date(self, value: dt.date | None) -> str:
        """ISO 8601. After Arabic words a date would read backwards (the bidi algorithm takes
        its digits for Arabic numbers and "-" for a separator): a left-to-right mark keeps it."""
        if value is None:
            return NOTHING
        return ("\u200e" if self.lang in RIGHT_TO_LEFT else "") + value.isoformat()

    def number(self, value: float | None, unit: str | None = None) -> str:
        if value is None:
            return NOTHING
        shown = format_decimal(value, locale=self.locale)
        return f"{shown} {unit}" if unit else shown

    def ref(self, entry: Entry) -> str:
        if entry.paragraph:
            return _("%(symbol)s, para. %(paragraph)s") % {
                "symbol": entry.symbol,
                "paragraph": entry.paragraph,
            }
        return entry.symbol

    # --- the report -----------------------------------------------------------------------

    def build(self) -> Report:
        request, data = self.request, self.data
        title = {
            "upr_midterm": _(
                "Universal Periodic Review: mid-term report on the implementation of "
                "recommendations"
            ),
            "treaty_followup": _("Follow-up report on the concluding observations"),
            "implementation_plan": _("Implementation plan for the human rights recommendations"),
        }[request.kind]
        self.blocks.append(Heading(0, title, "title"))
        self.line(_("State concerned"), localize(data.country_names, self.lang))
        mechanism = (
            localize(data.mechanism_names, self.lang)
            if data.mechanism_names
            else _("All mechanisms")
        )
        self.line(_("Mechanism"), mechanism)
        if request.cycle is not None:
            self.line(_("Cycle"), str(request.cycle))
        if request.symbol is not None:
            self.line(_("Document symbol"), request.symbol)
        self.line(_("Date"), format_date(data.generated_on, "long", locale=self.locale))
        self.note(
            _("Only progress validated by the national mechanism is reported. A recommendation's "
              "status is derived from its validated progress and its planning.")
        )  # fmt: skip
        self.blocks.append(
            Contents(
                _("Contents"),
                _("Update this table (F9 in most word processors) to show page numbers."),
            )
        )
        self.summary()
        if not data.entries:
            self.note(_("No recommendation matches this report."))
        else:
            self.sections()
            self.annex()
        stem = "-".join(
            part
            for part in (
                request.kind.replace("_", "-"),
                request.country,
                f"cycle{request.cycle}" if request.cycle else None,
                _slug(request.symbol) if request.symbol else None,
                data.generated_on.isoformat(),
            )
            if part
        )
        return Report(
            title=title,
            lang=self.lang,
            right_to_left=self.lang in RIGHT_TO_LEFT,
            file_stem=stem,
            page_label=_("Page %(page)s of %(pages)s"),
            blocks=self.blocks,
        )

    def summary(self) -> None:
        figures = self.data.figures
        self.blocks.append(Heading(1, _("Summary"), "summary"))
        rows = [(label(key, "status"), str(figures.by_status[key])) for key in STATUS_KEYS]
        rows.append((_("Total"), str(figures.recommendations)))
        self.blocks.append(Table((_("Status"), _("Recommendations")), tuple(rows), (3, 1), 0.6))
        if self.request.kind == "upr_midterm" or figures.by_upr_position["none"] != (
            figures.recommendations
        ):
            positions = tuple(
                (label(key, "upr_position"), str(figures.by_upr_position[key]))
                for key in POSITION_KEYS
            )
            headers = (_("UPR position"), _("Recommendations"))
            self.blocks.append(Table(headers, positions, (3, 1), 0.6))
        rate = format_percent(figures.implementation_rate, "#,##0.0%", locale=self.locale)
        self.line(_("Implementation rate"), rate)
        self.note(
            _("Implemented recommendations plus half of those partially implemented, over all "
              "the recommendations of this report.")
        )  # fmt: skip
        self.line(_("Overdue actions"), str(figures.overdue_actions))

    def sections(self) -> None:
        entries = self.data.entries
        follow_up = [e for e in entries if e.follow_up_due is not None]
        if follow_up:
            self.blocks.append(Heading(1, _("Paragraphs selected for follow-up"), "follow-up"))
            self.note(
                _("The committee asked for information on these paragraphs within two years, "
                  "under its follow-up procedure.")
            )  # fmt: skip
            for entry in sorted(follow_up, key=lambda e: e.follow_up_due or 0):
                self.entry(entry, 2)
        rest = [e for e in entries if e.follow_up_due is None]
        if not rest:
            return
        by = self.request.group_by
        heading = {
            "cluster": _("Recommendations by cluster"),
            "theme": _("Recommendations by theme"),
            "sdg": _("Recommendations by Sustainable Development Goal"),
            "institution": _("Recommendations by institution"),
        }[by]
        self.blocks.append(Heading(1, heading, "recommendations"))
        shown_under: dict[str | None, list[Entry]] = defaultdict(list)
        related: dict[str, list[Entry]] = defaultdict(list)
        for entry in rest:
            shown_under[entry.groups[0] if entry.groups else None].append(entry)
            for key in entry.groups[1:]:
                related[key].append(entry)
        for group in self.ordered_groups():
            if group.key not in shown_under and group.key not in related:
                continue
            self.blocks.append(Heading(2, self.group_title(group), f"group-{group.key}"))
            self.group_body(shown_under.get(group.key, []), related.get(group.key, []))
        if None in shown_under:
            ungrouped = {
                "cluster": _("Not in any cluster"),
                "theme": _("Without a theme"),
                "sdg": _("Not linked to a Sustainable Development Goal"),
                "institution": _("Not assigned to an institution"),
            }[by]
            self.blocks.append(Heading(2, ungrouped, "group-none"))
            self.group_body(shown_under[None], [])

    def ordered_groups(self) -> list[Group]:
        groups = list(self.data.groups.values())
        if self.request.group_by == "sdg":
            return sorted(groups, key=lambda g: g.number or 0)
        return sorted(groups, key=lambda g: localize(g.names, self.lang).casefold())

    def group_title(self, group: Group) -> str:
        name = localize(group.names, self.lang)
        if group.number is not None:
            return _("Goal %(number)s: %(title)s") % {"number": group.number, "title": name}
        return name

    def group_body(self, shown: list[Entry], related: list[Entry]) -> None:
        self.line(_("Recommendations"), str(len(shown) + len(related)))
        for entry in shown:
            self.entry(entry, 3)
        if related:
            self.line(
                _("Also concerned, shown under another heading"),
                "; ".join(self.ref(e) for e in related),
            )

    def entry(self, entry: Entry, level: int) -> None:
        self.blocks.append(Heading(level, self.ref(entry), f"rec-{entry.id}"))
        self.blocks.append(self.text(entry))
        if entry.mechanism_type == "upr":
            self.line(_("UPR position"), label(entry.upr_position, "upr_position"))
            self.line(_("Recommending States"), "; ".join(entry.recommending_states) or NOTHING)
        self.line(_("Status"), label(entry.status, "status"))
        if entry.follow_up_due is not None:
            self.line(_("Follow-up due"), self.date(entry.follow_up_due))
        self.line(_("Lead institution"), entry.lead or NOTHING)
        self.line(_("Supporting institutions"), "; ".join(entry.supporting) or NOTHING)
        if entry.actions:
            self.blocks.append(Paragraph((Span(_("Actions"), bold=True),)))
            rows = tuple(
                (a.title, a.institution or NOTHING, label(a.status, "action_status"),
                 self.date(a.start_date), self.date(a.due_date))
                for a in entry.actions
            )  # fmt: skip
            headers = (_("Action"), _("Responsible institution"), _("Status"), _("Start"), _("Due"))
            self.blocks.append(Table(headers, rows, (8, 7, 4, 5, 5)))
        else:
            self.line(_("Actions"), _("None planned"))
        if entry.indicators:
            self.blocks.append(Paragraph((Span(_("Indicators"), bold=True),)))
            measured = tuple(self.indicator_row(i) for i in entry.indicators)
            columns = (_("Indicator"), _("Baseline"), _("Latest value"), _("Target"))
            self.blocks.append(Table(columns, measured, (5, 3, 3, 3)))
        update = entry.update
        if update is None:
            self.line(_("Latest validated progress"), _("None yet"))
        else:
            self.line(
                _("Latest validated progress"),
                f"{label(update.assessment, 'assessment')} ({self.date(update.validated_on)})",
            )
            if update.narrative:
                self.blocks.append(Paragraph((Span(update.narrative),)))

    def indicator_row(self, indicator: IndicatorLine) -> tuple[str, ...]:
        def value(number: float | None, when: dt.date | None) -> str:
            shown = self.number(number, indicator.unit)
            return f"{shown} ({self.date(when)})" if number is not None and when else shown

        return (
            indicator.name,
            value(indicator.baseline, indicator.baseline_date),
            value(indicator.latest, indicator.latest_date),
            value(indicator.target, indicator.target_date),
        )

    def text(self, entry: Entry) -> Paragraph:
        texts = entry.text
        if texts.get(self.lang):
            return Paragraph((Span(texts[self.lang]),), quote=True)
        fallback = "en" if texts.get("en") else next((k for k, v in texts.items() if v), None)
        if fallback is None:
            return Paragraph((Span(_("No text recorded."), italic=True),), italic=True)
        language = self.locale.languages.get(fallback, fallback)
        marker = _("Text in %(language)s") % {"language": language}
        return Paragraph(
            (Span(f"[{marker}] ", italic=True), Span(texts[fallback], lang=fallback)), quote=True
        )

    def annex(self) -> None:
        self.blocks.append(Heading(1, _("Annex: all the recommendations of this report"), "annex"))
        upr = self.request.kind == "upr_midterm"
        headers: list[str] = [_("No."), _("Symbol and paragraph")]
        if upr:
            headers.append(_("UPR position"))
        headers += [_("Status"), _("Lead institution"), _("Latest validated progress")]
        rows = []
        for number, entry in enumerate(self.data.entries, start=1):
            row = [str(number), self.ref(entry)]
            if upr:
                row.append(label(entry.upr_position, "upr_position"))
            update = entry.update
            row += [
                label(entry.status, "status"),
                entry.lead or NOTHING,
                f"{label(update.assessment, 'assessment')} ({self.date(update.validated_on)})"
                if update
                else NOTHING,
            ]
            rows.append(tuple(row))
        widths = (1, 4, 2, 2, 3, 3) if upr else (1, 4, 2, 3, 3)
        self.blocks.append(Table(tuple(headers), tuple(rows), widths))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def texts_of(blocks: Iterable[Block]) -> list[str]:
    """Every piece of text of the blocks, in order (what the tests compare each format with)."""
    found: list[str] = []
    for block in blocks:
        if isinstance(block, Heading | Contents):
            found.append(block.text if isinstance(block, Heading) else block.title)
        elif isinstance(block, Paragraph):
            found.append(block.text)
        else:
            found += [*block.headers, *(cell for row in block.rows for cell in row)]
    return found
