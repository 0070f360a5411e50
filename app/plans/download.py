"""Writing an institution's plan workbook (DESIGN §10): four sheets, headers in the requester's
language, drop-downs, dates as dates, only the id and row-key columns locked."""

import datetime as dt
import io
import re
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.exports.cells import neutralise
from app.i18n import Language
from app.indicators.service import latest_measurements
from app.models.action import Action, ActionRecommendation, ActionStatus
from app.models.assignment import Assignment
from app.models.indicator import Indicator, IndicatorAction, IndicatorRecommendation
from app.models.institution import Institution
from app.models.mechanism import Mechanism
from app.models.progress_update import Assessment, ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation
from app.plans.labels import ACTIONS, INDICATORS, PROGRESS, RECOMMENDATIONS, Sheet, gettext

# Where the workbook says whose it is: a defined name survives saving in Excel and LibreOffice.
INSTITUTION_NAME = "rectrack_institution"
DATE_FORMAT = "yyyy-mm-dd"
_LOCKED = Protection(locked=True)
_UNLOCKED = Protection(locked=False)
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE5F0")
_LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")


@dataclass
class PlanData:
    institution: Institution
    recommendations: list[list[Any]]
    actions: list[list[Any]]
    indicators: list[list[Any]]
    progress: list[list[Any]]


def _text(texts: dict[str, str], lang: Language) -> str:
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


def _reference(symbol: str, paragraph: str | None) -> str:
    return f"{symbol} ¶{paragraph}" if paragraph else symbol


async def _latest_validated(
    session: AsyncSession, assigned: Any
) -> dict[uuid.UUID, tuple[Assessment, dt.datetime | None]]:
    ranked = (
        select(
            ProgressUpdate.recommendation_id,
            ProgressUpdate.assessment,
            ProgressUpdate.validated_at,
            func.row_number()
            .over(
                partition_by=ProgressUpdate.recommendation_id,
                order_by=(ProgressUpdate.validated_at.desc(), ProgressUpdate.id.desc()),
            )
            .label("position"),
        )
        .where(
            ProgressUpdate.state == UpdateState.validated,
            ProgressUpdate.recommendation_id.in_(assigned),
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.recommendation_id, ranked.c.assessment, ranked.c.validated_at).where(
            ranked.c.position == 1
        )
    )
    return {rec_id: (assessment, at) for rec_id, assessment, at in rows.all()}


async def plan_data(session: AsyncSession, institution: Institution, lang: Language) -> PlanData:
    assigned = select(Assignment.recommendation_id).where(
        Assignment.institution_id == institution.id
    )
    rows = await session.execute(
        select(Recommendation, Mechanism.code, Assignment.role, Assignment.due_date)
        .join(Assignment, Assignment.recommendation_id == Recommendation.id)
        .join(Mechanism, Mechanism.id == Recommendation.mechanism_id)
        .where(Assignment.institution_id == institution.id, Recommendation.archived.is_(False))
        .order_by(Recommendation.symbol, Recommendation.paragraph, Recommendation.id)
    )
    latest = await _latest_validated(session, assigned)
    recommendations: list[list[Any]] = []
    progress: list[list[Any]] = []
    for rec, mechanism, role, due in rows.all():
        assessment, at = latest.get(rec.id, (None, None))
        text = _text(rec.text, lang)
        latest_text = str(assessment) if assessment else None
        recommendations.append([
            str(rec.id), rec.symbol, rec.paragraph, mechanism, text, str(role), due,
            str(rec.status), latest_text, at.date() if at else None,
        ])  # fmt: skip
        progress.append([
            str(rec.id), str(uuid.uuid4()), rec.symbol, rec.paragraph, text, latest_text,
            None, None, None,
        ])  # fmt: skip
    actions = await _actions(session, institution.id)
    indicators = await _indicators(session, institution.id, assigned)
    return PlanData(institution, recommendations, actions, indicators, progress)


async def _actions(session: AsyncSession, institution_id: uuid.UUID) -> list[list[Any]]:
    found = list(
        (
            await session.scalars(
                select(Action)
                .where(Action.institution_id == institution_id)
                .order_by(Action.due_date.is_(None), Action.due_date, Action.title, Action.id)
            )
        ).all()
    )
    served: dict[uuid.UUID, list[str]] = defaultdict(list)
    if found:
        links = await session.execute(
            select(ActionRecommendation.action_id, Recommendation.symbol, Recommendation.paragraph)
            .join(Recommendation, Recommendation.id == ActionRecommendation.recommendation_id)
            .where(ActionRecommendation.action_id.in_([a.id for a in found]))
            .order_by(Recommendation.symbol, Recommendation.paragraph)
        )
        for action_id, symbol, paragraph in links.all():
            served[action_id].append(_reference(symbol, paragraph))
    return [
        [str(a.id), a.version, a.title, "\n".join(served[a.id]), a.start_date, a.due_date,
         str(a.status)]
        for a in found
    ]  # fmt: skip


async def _indicators(
    session: AsyncSession, institution_id: uuid.UUID, assigned: Any
) -> list[list[Any]]:
    """Indicators of the institution's recommendations, or of its actions."""
    own_actions = select(Action.id).where(Action.institution_id == institution_id)
    linked = select(Indicator).where(
        or_(
            Indicator.id.in_(
                select(IndicatorRecommendation.indicator_id).where(
                    IndicatorRecommendation.recommendation_id.in_(assigned)
                )
            ),
            Indicator.id.in_(
                select(IndicatorAction.indicator_id).where(
                    IndicatorAction.action_id.in_(own_actions)
                )
            ),
        )
    )
    found = list((await session.scalars(linked.order_by(Indicator.name, Indicator.id))).all())
    latest = await latest_measurements(session, [i.id for i in found])
    rows = []
    for indicator in found:
        date, value = latest.get(indicator.id, (None, None))
        rows.append([
            str(indicator.id), str(uuid.uuid4()), indicator.name, indicator.unit,
            indicator.baseline, indicator.target, indicator.target_date, value, date,
            None, None, None,
        ])  # fmt: skip
    return rows


def render(data: PlanData, lang: Language) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    _write(workbook, RECOMMENDATIONS, data.recommendations, lang)
    actions = _write(workbook, ACTIONS, data.actions, lang)
    _choices(actions, ACTIONS, "status", [str(s) for s in ActionStatus], len(data.actions))
    indicators = _write(workbook, INDICATORS, data.indicators, lang)
    _numbers_and_dates(indicators, len(data.indicators))
    progress = _write(workbook, PROGRESS, data.progress, lang)
    _choices(progress, PROGRESS, "assessment", [str(a) for a in Assessment], len(data.progress))
    workbook.defined_names[INSTITUTION_NAME] = DefinedName(
        INSTITUTION_NAME, attr_text=f'"{data.institution.id}"'
    )
    workbook.properties.title = ILLEGAL_CHARACTERS_RE.sub("", data.institution.name)
    workbook.properties.creator = "rectrack"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell_value(value: Any) -> Any:
    # A stored text may hold control characters (the API takes them): XML cannot, so they go.
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def _write(workbook: Workbook, sheet: Sheet, rows: Sequence[Sequence[Any]], lang: Language) -> Any:
    ws: Worksheet = workbook.create_sheet(sheet.name)
    ws.append([gettext(lang, column.header) for column in sheet.columns])
    for row in rows:
        ws.append([_cell_value(value) for value in row])
    for position, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(position)
        ws.column_dimensions[letter].width = column.width
        header = ws.cell(row=1, column=position)
        header.font, header.fill, header.alignment = _HEADER_FONT, _HEADER_FILL, _WRAP
        for (cell,) in ws.iter_rows(min_row=2, min_col=position, max_col=position):
            cell.protection = _LOCKED if column.locked else _UNLOCKED
            cell.alignment = _WRAP if column.wrap else _TOP
            if column.locked:
                cell.fill = _LOCKED_FILL
            if column.kind == "date":
                cell.number_format = DATE_FORMAT
    ws.freeze_panes = "A2"
    ws.protection.sheet = True
    # Only the locked cells are guarded: rows and columns may still be resized and sorted.
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False
    ws.protection.sort = False
    ws.protection.autoFilter = False
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(rows) + 1}"
    if lang == "ar":
        ws.sheet_view.rightToLeft = True
    return ws


def _range(sheet: Sheet, column: str, count: int) -> str:
    letter = get_column_letter(sheet.position(column) + 1)
    return f"{letter}2:{letter}{max(count, 1) + 1}"


def _choices(ws: Worksheet, sheet: Sheet, column: str, choices: list[str], count: int) -> None:
    validation = DataValidation(
        type="list", formula1=f'"{",".join(choices)}"', allow_blank=True, showErrorMessage=True
    )
    validation.add(_range(sheet, column, count))
    ws.add_data_validation(validation)


def _numbers_and_dates(ws: Worksheet, count: int) -> None:
    number = DataValidation(type="decimal", operator="between", formula1="-1E+300",
                            formula2="1E+300", allow_blank=True, showErrorMessage=True)  # fmt: skip
    number.add(_range(INDICATORS, "new_value", count))
    date = DataValidation(type="date", operator="greaterThan", formula1="1",
                          allow_blank=True, showErrorMessage=True)  # fmt: skip
    date.add(_range(INDICATORS, "new_date", count))
    ws.add_data_validation(number)
    ws.add_data_validation(date)


def file_name(institution: Institution, on: dt.date) -> str:
    label = institution.acronym or institution.name
    slug = re.sub(r"[^A-Za-z0-9]+", "-", label).strip("-")[:40] or "institution"
    return f"plan-{slug}-{str(institution.id)[:8]}-{on.isoformat()}.xlsx"


def zip_of(workbooks: Iterable[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in workbooks:
            archive.writestr(name, content)
    return out.getvalue()
