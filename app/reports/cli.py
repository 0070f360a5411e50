"""`rectrack report`: the report POST /api/v1/reports makes, written to a file (for cron)."""

import asyncio
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from app.i18n import LANGUAGES
from app.reports.schemas import FORMATS, GROUPS, KINDS


@click.command("report")
@click.option("--kind", type=click.Choice(KINDS), required=True)
@click.option("--country", required=True, help="ISO3 code of the State.")
@click.option("--mechanism", default=None, help="Mechanism code (UPR, CRC…).")
@click.option("--cycle", type=int, default=None, help="UPR cycle (upr_midterm needs it).")
@click.option("--symbol", default=None, help="Document symbol (treaty_followup needs it).")
@click.option("--group-by", type=click.Choice(GROUPS), default="cluster", show_default=True)
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="docx", show_default=True)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="File to write (default: the report's dated name in the current directory; - for "
    "standard output).",
)  # fmt: skip
def report(
    kind: str, country: str, mechanism: str | None, cycle: int | None, symbol: str | None,
    group_by: str, lang: str, fmt: str, output: Path | None,
) -> None:  # fmt: skip
    """Write a report to the UN (UPR mid-term, treaty-body follow-up, implementation plan)."""
    from app.cli import _settings
    from app.db import create_engine, create_sessionmaker
    from app.errors import AppError
    from app.reports.output import ReportFile, make_report
    from app.reports.schemas import ReportRequest

    try:
        request = ReportRequest.model_validate(
            {"kind": kind, "country": country, "mechanism": mechanism, "cycle": cycle,
             "symbol": symbol, "group_by": group_by, "lang": lang, "format": fmt}
        )  # fmt: skip
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise click.ClickException(problems) from exc
    settings = _settings()

    async def run() -> ReportFile:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session:
                return await make_report(session, request, request.lang or "en")
        finally:
            await engine.dispose()

    try:
        made = asyncio.run(run())
    except AppError as exc:
        details = "; ".join(
            f"{e.field.removeprefix('body.')}: {e.message}" for e in exc.errors or []
        )
        raise click.ClickException(f"{exc.detail} {details}".strip()) from exc
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(made.content)
        sys.stdout.flush()
        return
    target = output or Path(made.filename)
    target.write_bytes(made.content)
    click.echo(f"wrote {target} ({len(made.content)} bytes)")
