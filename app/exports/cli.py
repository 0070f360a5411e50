"""`rectrack export`: the API's exports from the command line, for scripts and cron.

Each kind's options are made from the API's own filter dependency (same names, with dashes,
and the same checks), so that the command and the endpoint never drift apart.
"""

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import IO, Any, get_args

import click
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.actions.dependencies import action_filters
from app.errors import AppError
from app.exports import service
from app.exports.formats import Column, ExportFormat, export_stream
from app.i18n import LANGUAGES, Language
from app.progress_updates.dependencies import update_filters
from app.recommendations.filters import recommendation_filters
from app.recommendations.listing import query_model
from app.recommendations.service import SortName

# (filters, language, sort, public) → the export's batches.
Source = Callable[[async_sessionmaker[AsyncSession], Any, Language, Any, bool], AsyncIterator[Any]]


def _filter_options(model: type[BaseModel], many: frozenset[str]) -> list[click.Option]:
    return [
        click.Option(
            [f"--{name.replace('_', '-')}"],
            multiple=name in many,
            help=field.description or "As the API's query parameter of this name.",
        )
        for name, field in model.model_fields.items()
    ]


def _problems(exc: ValidationError | AppError) -> str:
    if isinstance(exc, ValidationError):
        found = [f"--{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    else:
        found = [f"{e.field}: {e.message}" for e in exc.errors or []] or [exc.detail]
    return "; ".join(found).replace("_", "-").replace("query.", "--")


def _command(
    name: str,
    dependency: Callable[..., Any],
    sheet: str,
    columns: tuple[Column, ...],
    source: Source,
    help_text: str,
    *,
    sortable: bool = False,
) -> click.Command:
    model, many = query_model(dependency, f"{name}ExportQuery")

    def run(
        fmt: ExportFormat, lang: Language, output: str, public: bool, sort: str, **given: Any
    ) -> None:
        from app.cli import _settings
        from app.db import create_engine, create_sessionmaker

        raw = {key: list(value) if key in many else value for key, value in given.items()}
        raw = {key: value for key, value in raw.items() if value not in (None, [])}
        try:
            parsed = model.model_validate(raw)
        except ValidationError as exc:
            raise click.UsageError(_problems(exc)) from exc
        settings = _settings()

        async def write(out: IO[bytes]) -> None:
            engine = create_engine(settings)
            try:
                sessionmaker = create_sessionmaker(engine)
                async with sessionmaker() as session:
                    filters = await dependency(session, **dict(parsed))
                batches = source(sessionmaker, filters, lang, sort, public)
                async for chunk in export_stream(fmt, sheet, columns, batches):
                    out.write(chunk)
            finally:
                await engine.dispose()

        try:
            if output == "-":
                asyncio.run(write(sys.stdout.buffer))
            else:
                with Path(output).open("wb") as out:
                    asyncio.run(write(out))
        except AppError as exc:
            if output != "-":
                Path(output).unlink(missing_ok=True)
            raise click.UsageError(_problems(exc)) from exc

    params: list[click.Parameter] = [
        click.Option(
            ["--format", "fmt"], type=click.Choice(["csv", "xlsx", "ndjson"]), default="csv",
            show_default=True, help="csv (UTF-8 with a BOM), xlsx, or ndjson (JSON lines).",
        ),
        click.Option(
            ["--lang"], type=click.Choice(LANGUAGES), default="en", show_default=True,
            help="Language of texts and labels (English where a text has none in it).",
        ),
        click.Option(
            ["--output", "-o"], default="-", show_default=True,
            help="File to write; - for standard output.",
        ),
        click.Option(
            ["--public"], is_flag=True,
            help="Export what an anonymous caller of the API gets (validated updates only, no "
            "user ids); by default, what a signed-in reader gets.",
        ),
    ]  # fmt: skip
    if sortable:
        params.append(
            click.Option(
                ["--sort"],
                type=click.Choice(get_args(SortName)),
                default="-publication_date",
                show_default=True,
            )
        )
    else:
        params.append(click.Option(["--sort"], hidden=True, default=""))
    params += _filter_options(model, many)
    return click.Command(name, callback=run, params=params, help=help_text)


@click.group("export")
def export() -> None:
    """Write an export (as GET /api/v1/…/export gives it) to a file or standard output."""


export.add_command(
    _command(
        "recommendations",
        recommendation_filters,
        "Recommendations",
        service.RECOMMENDATION_COLUMNS,
        lambda sm, filters, lang, sort, _: service.recommendation_batches(sm, filters, sort, lang),
        "Recommendations, with every filter of GET /api/v1/recommendations.",
        sortable=True,
    )
)
export.add_command(
    _command(
        "actions",
        action_filters,
        "Actions",
        service.ACTION_COLUMNS,
        lambda sm, filters, _lang, _sort, _public: service.action_batches(sm, filters),
        "The implementation plan's actions, with the filters of GET /api/v1/actions.",
    )
)
export.add_command(
    _command(
        "progress-updates",
        update_filters,
        "Progress updates",
        service.PROGRESS_UPDATE_COLUMNS,
        lambda sm, filters, _lang, _sort, public: service.progress_update_batches(
            sm, filters, public=public
        ),
        "Progress updates, with the filters of GET /api/v1/progress-updates.",
    )
)
