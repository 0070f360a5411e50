"""`rectrack similar rebuild`: index every recommendation's texts for near-duplicates again.

Creating, editing and importing recommendations keep the index current; this is for a
database restored from elsewhere, or after the index's parameters change."""

import asyncio
import resource
import sys
import time

import click


@click.group()
def similar() -> None:
    """Near-duplicate detection (docs/duplicates.md)."""


@similar.command("rebuild")
def rebuild() -> None:
    """Rebuild the near-duplicate index from every recommendation's texts."""
    from app.cli import _settings
    from app.db import create_engine, create_sessionmaker
    from app.similarity.index import rebuild as rebuild_index

    settings = _settings()

    async def run() -> int:
        engine = create_engine(settings)
        try:
            return await rebuild_index(create_sessionmaker(engine))
        finally:
            await engine.dispose()

    started = time.perf_counter()
    count = asyncio.run(run())
    seconds = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (
        1024 if sys.platform != "darwin" else 1024**2
    )
    click.echo(f"indexed {count} recommendations in {seconds:.1f} s (peak RSS {peak:.0f} MiB)")
