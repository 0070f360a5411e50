"""Applying a filled plan workbook (DESIGN §10): each row through the service its API route
calls, with the caller's rights checked there; every problem collected, and one transaction.

A row that creates something (a measurement, a progress update) leaves its key in workbook_row,
so that the same workbook uploaded again recognises it: unchanged, it creates nothing; a changed
narrative on an update that is still a draft edits that draft.
"""

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.actions.service import set_statuses
from app.audit.service import record_event
from app.auth.principal import Principal
from app.clock import today
from app.errors import AppError, Conflict, FieldProblem, Forbidden, UnprocessableEntity
from app.i18n import Language
from app.indicators.schemas import MeasurementCreate, MeasurementUpdate
from app.indicators.service import add_many, correct_measurement
from app.models.action import Action
from app.models.indicator import Indicator, Measurement
from app.models.institution import Institution
from app.models.progress_update import ProgressUpdate, UpdateState
from app.models.recommendation import Recommendation
from app.models.user import Role
from app.models.workbook_row import WorkbookRow
from app.plans import labels
from app.plans.labels import ACTIONS, INDICATORS, PROGRESS
from app.plans.reading import ActionRow, Filled, MeasurementRow, Problem, ProgressRow
from app.progress_updates.schemas import ProgressUpdateCreate, ProgressUpdateEdit
from app.progress_updates.service import create_many, edit_update, submit

_EVERYWHERE = (Role.admin, Role.coordinator)
_WHOLE_SHEET = (labels.MISSING_SHEET, labels.WRONG_HEADER, labels.TOO_MANY_ROWS)
Words = dict[type[AppError], str]  # the row's problem for each kind of refusal
_NOT_RESPONSIBLE: Words = {Forbidden: labels.NOT_RESPONSIBLE}
_NOT_MEASURABLE: Words = {Forbidden: labels.NOT_ASSIGNED_TO_EVERY}
_REPORTING: Words = {Forbidden: labels.NOT_ASSIGNED, Conflict: labels.ALREADY_SUBMITTED}
M = TypeVar("M")


@dataclass
class Outcome:
    actions_changed: int = 0
    measurements_created: int = 0
    measurements_changed: int = 0
    progress_updates_created: int = 0
    progress_updates_changed: int = 0
    progress_updates_submitted: int = 0
    rows_unchanged: int = 0


class WorkbookProblems(UnprocessableEntity):
    """Rows that cannot be applied; nothing is written."""


def _problem(p: Problem, lang: Language) -> FieldProblem:
    message = labels.gettext(lang, p.message)
    if p.params:
        message = message % p.params
    where = p.sheet if p.row is None else f"{p.sheet}!{p.column or ''}{p.row}"
    return FieldProblem(
        field=where, message=message, code="workbook", sheet=p.sheet, row=p.row, column=p.column
    )


def refusal(problems: Sequence[Problem], lang: Language) -> WorkbookProblems:
    return WorkbookProblems(
        labels.gettext(lang, labels.PROBLEMS), errors=[_problem(p, lang) for p in problems]
    )


async def workbook_institution(
    session: AsyncSession, filled: Filled, actor: Principal, lang: Language
) -> Institution:
    """The institution the workbook was downloaded for; a focal point's own only (403)."""
    try:
        institution_id = uuid.UUID(filled.institution or "")
    except ValueError:
        raise refusal([Problem("", None, None, labels.NOT_A_PLAN)], lang) from None
    if actor.role not in _EVERYWHERE and institution_id != actor.institution_id:
        raise Forbidden(labels.gettext(lang, labels.OTHER_INSTITUTION))
    institution = await session.get(Institution, institution_id)
    if institution is None:
        raise refusal([Problem("", None, None, labels.UNKNOWN_INSTITUTION)], lang)
    return institution


async def _by_id(session: AsyncSession, model: type[M], ids: Sequence[uuid.UUID]) -> dict[Any, M]:
    if not ids:
        return {}
    column = model.id  # type: ignore[attr-defined]
    found = await session.scalars(select(model).where(column.in_(set(ids))))
    return {item.id: item for item in found.all()}  # type: ignore[attr-defined]


class _Applier:
    def __init__(
        self, session: AsyncSession, actor: Principal, institution: Institution, submit: bool,
        lang: Language,
    ) -> None:  # fmt: skip
        self.session, self.actor, self.institution = session, actor, institution
        self.submit, self.lang = submit, lang
        self.outcome = Outcome()
        self.problems: list[Problem] = []

    def refused(self, sheet: str, row: int, column: str, exc: Exception, words: Words) -> None:
        """A service's refusal, as the row's problem in the person's words."""
        if isinstance(exc, ValidationError):
            reason = "; ".join(str(e["msg"]) for e in exc.errors())
            self.problems.append(Problem(sheet, row, column, labels.REFUSED, {"reason": reason}))
            return
        assert isinstance(exc, AppError)
        message = next((m for kind, m in words.items() if isinstance(exc, kind)), None)
        params = {} if message else {"reason": exc.detail}
        self.problems.append(Problem(sheet, row, column, message or labels.REFUSED, params))
        if not self.session.sync_session.is_active:
            raise refusal(self.problems, self.lang) from exc  # a failed flush: stop here

    async def call(self, sheet: str, row: int, column: str, words: Words, work: Any) -> bool:
        """Run one service call (the rare paths: a row uploaded again)."""
        try:
            await work()
        except (ValidationError, AppError) as exc:
            self.refused(sheet, row, column, exc, words)
            return False
        return True

    async def actions(self, rows: list[ActionRow]) -> None:
        found = await _by_id(self.session, Action, [r.id for r in rows])
        changes: list[tuple[ActionRow, Action]] = []
        for row in rows:
            action = found.get(row.id)
            if action is None:
                self.problems.append(Problem(ACTIONS.name, row.row, "id", labels.UNKNOWN_ACTION))
            elif action.status == row.status:
                self.outcome.rows_unchanged += 1
            elif row.version != action.version:
                self.problems.append(Problem(ACTIONS.name, row.row, "status", labels.STALE_ACTION))
            else:
                changes.append((row, action))
        refusals = await set_statuses(
            self.session, [(action, row.status) for row, action in changes], self.actor
        )
        for (row, _), refused in zip(changes, refusals, strict=True):
            if refused is not None:
                self.refused(ACTIONS.name, row.row, "status", refused, _NOT_RESPONSIBLE)
        self.outcome.actions_changed += len(changes)

    async def measurements(
        self, rows: list[MeasurementRow], applied: dict[uuid.UUID, WorkbookRow]
    ) -> None:
        indicators = await _by_id(self.session, Indicator, [r.id for r in rows])
        earlier = await _by_id(
            self.session,
            Measurement,
            [applied[r.key].entity_id for r in rows if r.key in applied],
        )
        new: list[tuple[MeasurementRow, Indicator, MeasurementCreate]] = []
        for row in rows:
            indicator = indicators.get(row.id)
            if indicator is None:
                self.problems.append(
                    Problem(INDICATORS.name, row.row, "id", labels.UNKNOWN_INDICATOR)
                )
            elif row.date > today():
                self.problems.append(
                    Problem(INDICATORS.name, row.row, "new_date", labels.FUTURE_DATE)
                )
            elif row.key in applied:
                await self._measured_again(row, earlier.get(applied[row.key].entity_id))
            else:
                try:
                    data = MeasurementCreate(date=row.date, value=row.value, note=row.note)
                except ValidationError as exc:
                    self.refused(INDICATORS.name, row.row, "new_value", exc, {})
                    continue
                new.append((row, indicator, data))
        results = await add_many(self.session, [(i, d) for _, i, d in new], self.actor)
        for (row, _, _), result in zip(new, results, strict=True):
            if isinstance(result, Measurement):
                self.session.add(WorkbookRow(key=row.key, entity_type="measurement",
                                             entity_id=result.id))  # fmt: skip
                self.outcome.measurements_created += 1
            else:
                self.refused(INDICATORS.name, row.row, "new_value", result, _NOT_MEASURABLE)

    async def _measured_again(self, row: MeasurementRow, earlier: Measurement | None) -> None:
        if earlier is None:  # a coordinator deleted it: the row stays applied
            self.outcome.rows_unchanged += 1
        elif earlier.indicator_id != row.id:
            self.problems.append(
                Problem(INDICATORS.name, row.row, "key", labels.KEY_OF_ANOTHER_ROW)
            )
        elif (earlier.date, earlier.value, earlier.note) == (row.date, row.value, row.note):
            self.outcome.rows_unchanged += 1
        elif self.actor.role not in _EVERYWHERE:
            self.problems.append(
                Problem(INDICATORS.name, row.row, "new_value", labels.ALREADY_MEASURED)
            )
        elif await self.call(
            INDICATORS.name, row.row, "new_value", {},
            lambda: correct_measurement(
                self.session, earlier,
                MeasurementUpdate(date=row.date, value=row.value, note=row.note), self.actor,
            ),
        ):  # fmt: skip
            self.outcome.measurements_changed += 1

    async def progress(
        self, rows: list[ProgressRow], applied: dict[uuid.UUID, WorkbookRow]
    ) -> None:
        recs = await _by_id(self.session, Recommendation, [r.recommendation_id for r in rows])
        earlier = await _by_id(
            self.session,
            ProgressUpdate,
            [applied[r.key].entity_id for r in rows if r.key in applied],
        )
        new: list[tuple[ProgressRow, Recommendation, ProgressUpdateCreate]] = []
        for row in rows:
            rec = recs.get(row.recommendation_id)
            if rec is None or rec.archived:
                self.problems.append(
                    Problem(PROGRESS.name, row.row, "id", labels.UNKNOWN_RECOMMENDATION)
                )
            elif row.key in applied:
                update = earlier.get(applied[row.key].entity_id)
                if update is not None and update.recommendation_id != rec.id:
                    self.problems.append(
                        Problem(PROGRESS.name, row.row, "key", labels.KEY_OF_ANOTHER_ROW)
                    )
                elif update is None:
                    self.outcome.rows_unchanged += 1
                else:
                    again = partial(self._report_again, update, row, applied[row.key])
                    await self.call(PROGRESS.name, row.row, "assessment", _REPORTING, again)
            else:
                try:
                    data = ProgressUpdateCreate(
                        assessment=row.assessment, narrative=row.narrative, evidence=row.evidence,
                        institution_id=self.institution.id
                        if self.actor.role in _EVERYWHERE else None,
                    )  # fmt: skip
                except ValidationError as exc:
                    self.refused(PROGRESS.name, row.row, "assessment", exc, {})
                    continue
                new.append((row, rec, data))
        results = await create_many(
            self.session, [(rec, data) for _, rec, data in new], self.actor, submit=self.submit
        )
        for (row, _, _), result in zip(new, results, strict=True):
            if isinstance(result, ProgressUpdate):
                self.session.add(
                    WorkbookRow(key=row.key, entity_type="progress_update",
                                entity_id=result.id, version=result.version)
                )  # fmt: skip
                self.outcome.progress_updates_created += 1
                self.outcome.progress_updates_submitted += self.submit
            else:
                self.refused(PROGRESS.name, row.row, "assessment", result, _REPORTING)

    async def _report_again(
        self, update: ProgressUpdate, row: ProgressRow, done: WorkbookRow
    ) -> None:
        same = (update.assessment, update.narrative, list(update.evidence)) == (
            row.assessment, row.narrative, row.evidence,
        )  # fmt: skip
        if same and not (self.submit and update.state is UpdateState.draft):
            self.outcome.rows_unchanged += 1
            return
        if done.version is not None and done.version != update.version:
            # Edited elsewhere since this workbook last wrote it: an older copy must not win.
            self.problems.append(Problem(PROGRESS.name, row.row, "assessment", labels.STALE_ACTION))
            return
        if not same:
            data = ProgressUpdateEdit(
                assessment=row.assessment, narrative=row.narrative, evidence=row.evidence
            )
            await edit_update(self.session, update, data, self.actor)
            self.outcome.progress_updates_changed += 1
        if self.submit:
            await submit(self.session, update, self.actor)
            self.outcome.progress_updates_submitted += 1
        await self.session.flush()
        done.version = update.version


def _repeated_keys(filled: Filled) -> list[Problem]:
    seen: set[uuid.UUID] = set()
    problems = []
    rows: list[tuple[str, int, uuid.UUID]] = [
        *((INDICATORS.name, r.row, r.key) for r in filled.measurements),
        *((PROGRESS.name, r.row, r.key) for r in filled.progress),
    ]
    for sheet, row, key in rows:
        if key in seen:
            problems.append(Problem(sheet, row, "key", labels.REPEATED_ROW))
        seen.add(key)
    return problems


async def apply(
    session: AsyncSession,
    actor: Principal,
    institution: Institution,
    filled: Filled,
    *,
    submit: bool,
    lang: Language,
) -> Outcome:
    """Apply every row, or raise WorkbookProblems listing every row that cannot be applied (the
    caller rolls the transaction back)."""
    problems = [*filled.problems, *_repeated_keys(filled)]
    if any(p.message in _WHOLE_SHEET for p in problems):
        raise refusal(problems, lang)  # no row can be read as meant
    keys = [r.key for r in filled.measurements] + [r.key for r in filled.progress]
    applied = {
        row.key: row
        for row in (
            await session.scalars(select(WorkbookRow).where(WorkbookRow.key.in_(keys)))
        ).all()
    } if keys else {}  # fmt: skip
    applier = _Applier(session, actor, institution, submit, lang)
    await applier.actions(filled.actions)
    await applier.measurements(filled.measurements, applied)
    await applier.progress(filled.progress, applied)
    problems += applier.problems
    if problems:
        raise refusal(sorted(problems, key=_order), lang)
    outcome = applier.outcome
    await record_event(
        session, actor, "apply_workbook", "institution", str(institution.id),
        {"workbook": {"before": None, "after": asdict(outcome)}},
    )  # fmt: skip
    await session.flush()
    return outcome


def _order(problem: Problem) -> tuple[int, int]:
    sheets: list[str] = [ACTIONS.name, INDICATORS.name, PROGRESS.name]
    return (sheets.index(problem.sheet) if problem.sheet in sheets else -1, problem.row or 0)
