"""`rectrack suggest rebuild`: the SDG suggestion index, built again from the database."""

import asyncio
import time

import click


@click.group("suggest")
def suggest() -> None:
    """SDG suggestions."""


@suggest.command("rebuild")
def rebuild() -> None:
    """Rebuild the suggestion index from every tagged recommendation and the target texts
    (imports and accepted suggestions add to it; this also forgets removed tags)."""
    from app.cli import _settings
    from app.db import create_engine, create_sessionmaker
    from app.suggestions.index import rebuild as rebuild_index

    settings = _settings()

    async def run() -> dict[str, int]:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await rebuild_index(session)
        finally:
            await engine.dispose()

    started = time.perf_counter()
    used = asyncio.run(run())
    languages = " ".join(f"{lang}={count}" for lang, count in used.items())
    click.echo(f"suggestion index rebuilt in {time.perf_counter() - started:.1f} s: {languages}")
