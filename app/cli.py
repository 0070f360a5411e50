"""The `rectrack` command line."""

import asyncio
import json
from pathlib import Path

import click

from app.config import PROJECT_ROOT, get_settings


@click.group()
def main() -> None:
    """rectrack: track UN human rights recommendations and their implementation."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (RECTRACK_DATABASE_URL) to the latest schema."""
    from app.migrations import upgrade_to_head

    upgrade_to_head(get_settings().database_url)
    click.echo("database is at the latest migration")


@main.command()
def seed() -> None:
    """Load the reference data (SDGs, mechanisms, countries, themes…); safe to run again."""
    from app.db import create_engine, create_sessionmaker
    from app.reference.seed import seed_reference_data

    settings = get_settings()

    async def run() -> dict[str, int]:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await seed_reference_data(session, settings.seeds_dir)
        finally:
            await engine.dispose()

    written = asyncio.run(run())
    click.echo(" ".join(f"{table}={count}" for table, count in written.items()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API."""
    import uvicorn

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
    )


@main.command()
@click.option(
    "--write/--print", default=False, help="Write schemas/ in the repository instead of printing."
)
def openapi(write: bool) -> None:
    """The OpenAPI document (and, with --write, the JSON Schemas beside it)."""
    from app.schema_export import export_documents

    documents = export_documents()
    if not write:
        click.echo(json.dumps(documents["openapi.json"], indent=2, ensure_ascii=False))
        return
    target = PROJECT_ROOT / "schemas"
    for name, document in documents.items():
        path: Path = target / name
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        click.echo(f"wrote {path.relative_to(PROJECT_ROOT)}")
