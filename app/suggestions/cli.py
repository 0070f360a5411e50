"""`rectrack suggest rebuild`: what suggestions and near-duplicates read, built again from the
database (DESIGN §12): the SDG suggestion index and the near-duplicate index, one after the
other (`--only` one of them)."""

import asyncio
import resource
import sys
import time

import click


@click.group("suggest")
def suggest() -> None:
    """SDG suggestions and near-duplicates."""


@suggest.command("rebuild")
@click.option(
    "--only",
    type=click.Choice(["sdg", "duplicates"]),
    help="Rebuild one index: the SDG suggestions' or the near-duplicates'.",
)
def rebuild(only: str | None) -> None:
    """Rebuild the SDG suggestion index from every tagged recommendation and the target texts
    (imports and accepted suggestions add to it; this also forgets removed tags), and the
    near-duplicate index from every recommendation's texts."""
    from app.cli import _settings
    from app.db import create_engine, create_sessionmaker
    from app.similarity.index import rebuild as rebuild_duplicates
    from app.suggestions.rebuild import rebuild as rebuild_sdg

    settings = _settings()

    async def sdg() -> str:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                used = await rebuild_sdg(session)
        finally:
            await engine.dispose()
        languages = " ".join(f"{lang}={count}" for lang, count in used.items())
        return f"suggestion index rebuilt: {languages}"

    async def duplicates() -> str:
        engine = create_engine(settings)
        try:
            count = await rebuild_duplicates(create_sessionmaker(engine))
        finally:
            await engine.dispose()
        return f"near-duplicate index rebuilt: {count} recommendations"

    for name, step in (("sdg", sdg), ("duplicates", duplicates)):
        if only in (None, name):
            started = time.perf_counter()
            said = asyncio.run(step())
            click.echo(f"{said} in {time.perf_counter() - started:.1f} s")
    click.echo(f"peak RSS {_peak_mib():.0f} MiB")


def _peak_mib() -> float:
    # ru_maxrss is in KiB on Linux, bytes on macOS; the worker processes' own peaks are apart.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 if sys.platform != "darwin" else 1024**2)
