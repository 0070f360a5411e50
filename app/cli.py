"""The `rectrack` command line."""

import asyncio
import getpass
import json
import sys
from pathlib import Path

import click
from pydantic import ValidationError

from app.config import PROJECT_ROOT, Settings, get_settings, settings_problem


def _settings() -> Settings:
    """The settings, or a one-line message and exit status 1 (a weak RECTRACK_SECRET_KEY…)."""
    from app.cli_errors import sqlite_problem

    try:
        settings = get_settings()
    except ValidationError as exc:
        raise click.ClickException(settings_problem(exc)) from exc
    problem = sqlite_problem(settings.database_url)
    if problem:
        raise click.ClickException(problem)
    return settings


def cli_actor() -> str:
    """How the audit trail names what the command line does: the CLI and the OS user."""
    try:
        return f"cli ({getpass.getuser()})"
    except (OSError, KeyError):  # no user name in the environment nor in the password file
        return "cli"


def _validation_line(exc: ValidationError) -> str:
    """One line per refused option, in words a person acts on (not pydantic's report)."""
    return "; ".join(
        error["msg"] if error["type"] == "weak_password" else f"--{error['loc'][0]}: {error['msg']}"
        for error in exc.errors()
    ).replace("--institution_id", "--institution-id")


class _Commands(click.Group):
    """Failures to reach, sign in to or open the database end in one line (app/cli_errors.py);
    `--debug` lets the traceback through instead."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            from app.cli_errors import database_problem

            try:
                url = get_settings().database_url
            except ValidationError:
                raise exc from None
            problem = database_problem(exc, url)
            if problem is None:
                raise
            raise click.ClickException(
                f"{problem} `rectrack --debug …` shows the traceback."
            ) from exc


@click.group(cls=_Commands)
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
def main(debug: bool) -> None:
    """rectrack: track UN human rights recommendations and their implementation."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database (RECTRACK_DATABASE_URL) to the latest schema."""
    from app.migrations import upgrade_to_head

    upgrade_to_head(_settings().database_url)
    click.echo("database is at the latest migration")


@db.command("backup")
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(destination: Path) -> None:
    """Copy the SQLite database to DESTINATION while the service runs (PostgreSQL: pg_dump)."""
    from app.backup import BackupError, backup_sqlite

    try:
        pages = backup_sqlite(_settings().database_url, destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backed up {pages} pages to {destination}")


@db.command("retally")
def db_retally() -> None:
    """Recount the SDG tally from the recommendations (the database's triggers keep it; this is
    for when something bypassed them)."""
    from app.db import create_engine, create_sessionmaker
    from app.progress.tally import recount_tally

    settings = _settings()

    async def run() -> int:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await recount_tally(session)
        finally:
            await engine.dispose()

    click.echo(f"SDG tally recounted: {asyncio.run(run())} rows")


@main.command()
def seed() -> None:
    """Load the reference data (SDGs, mechanisms, countries, themes…); safe to run again."""
    from app.db import create_engine, create_sessionmaker
    from app.reference.seed import seed_reference_data

    settings = _settings()

    async def run() -> dict[str, int]:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                return await seed_reference_data(session, settings.seeds_dir)
        finally:
            await engine.dispose()

    written = asyncio.run(run())
    click.echo(" ".join(f"{table}={count}" for table, count in written.items()))


@main.command("create-user")
@click.option("--email", required=True, help="The sign-in address.")
@click.option("--role", type=click.Choice(["admin", "coordinator", "focal_point", "viewer"]),
              required=True)  # fmt: skip
@click.option("--name", default=None, help="Display name (default: the email address).")
@click.option("--institution-id", default=None, help="Required for a focal point.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(
    email: str, role: str, name: str | None, institution_id: str | None, password_stdin: bool
) -> None:
    """Create an account, e.g. the first admin. Asks for the password unless --password-stdin."""
    from pydantic import ValidationError

    from app.db import create_engine, create_sessionmaker
    from app.errors import AppError
    from app.users.schemas import UserCreate
    from app.users.service import create_user as create

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        data = UserCreate.model_validate(
            {"email": email, "name": name or email, "password": password, "role": role,
             "institution_id": institution_id}
        )  # fmt: skip
    except ValidationError as exc:
        raise click.ClickException(_validation_line(exc)) from exc
    settings = _settings()

    async def run() -> str:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                user = await create(session, data, settings, None, actor_label=cli_actor())
                return str(user.id)
        finally:
            await engine.dispose()

    try:
        user_id = asyncio.run(run())
    except AppError as exc:
        # The fields' own sentences say it all; the summary only when there are none.
        details = "; ".join(e.message for e in exc.errors or [])
        raise click.ClickException(details or exc.detail) from exc
    click.echo(f"created {role} {data.email} ({user_id})")


@main.command()
@click.argument("email")
def unlock(email: str) -> None:
    """Forget the failed logins on the account EMAIL, from every address (a lock-out's end)."""
    from app.db import create_engine, create_sessionmaker
    from app.errors import AppError
    from app.users.service import unlock as clear
    from app.users.service import user_by_email

    settings = _settings()

    async def run() -> int:
        engine = create_engine(settings)
        try:
            async with create_sessionmaker(engine)() as session, session.begin():
                user = await user_by_email(session, email)
                return await clear(session, user, None, actor_label=cli_actor())
        finally:
            await engine.dispose()

    try:
        cleared = asyncio.run(run())
    except AppError as exc:
        raise click.ClickException(exc.detail) from exc
    click.echo(f"unlocked {email.strip().lower()}: {cleared} failed logins forgotten")


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--country", multiple=True, help="Keep only records about this State (ISO3).")
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option("--lang", type=click.Choice(["en", "fr", "es", "ar", "ru", "zh"]), default=None,
              help="The files' language, when their names do not say it.")  # fmt: skip
def import_files(
    files: tuple[str, ...], country: tuple[str, ...], dry_run: bool, lang: str | None
) -> None:
    """Import UHRI exports (JSON or Excel) or CSV files in rectrack's template."""
    from app.db import create_engine, create_sessionmaker
    from app.imports import service
    from app.imports.readers import FileFormatError
    from app.models.import_job import ImportJob, JobStatus

    settings = _settings()

    async def run(path: Path) -> ImportJob:
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
        try:
            async with sessionmaker() as session, session.begin():
                job = await service.create_job(
                    session, stored_path=path, filename=path.name, dry_run=dry_run,
                    countries=[c.upper() for c in country], lang=lang, actor=None,
                    actor_label=cli_actor(),
                )  # fmt: skip
                job_id = job.id
            claimed = await service.claim_job(sessionmaker, job_id)
            assert claimed
            with click.progressbar(length=1, label=path.name, file=sys.stderr) as bar:
                shown = 0

                def advance(current: ImportJob) -> None:
                    nonlocal shown
                    bar.length = current.total or 1
                    bar.update(current.processed - shown)
                    shown = current.processed

                return await service.run_job(sessionmaker, job_id, advance)
        finally:
            await engine.dispose()

    failed = False
    for name in files:
        try:
            job = asyncio.run(run(Path(name).resolve()))
        except FileFormatError as exc:
            raise click.ClickException(f"{name}: {exc}") from exc
        for problem in job.errors[:20]:
            where = f"record {problem['index']}" if "index" in problem else f"row {problem['row']}"
            click.echo(f"{name}: {where}: {problem['field']}: {problem['message']} "
                       f"({problem['severity']})", err=True)  # fmt: skip
        if job.status is JobStatus.failed:
            click.echo(f"{name}: failed: {job.message}", err=True)
            failed = True
        counts = job.counts
        click.echo(" ".join(f"{key}={counts.get(key, 0)}" for key in service.COUNT_KEYS))
    if failed:
        raise SystemExit(1)


@main.command()
def worker() -> None:
    """Run import jobs, webhook deliveries and notification mails until SIGTERM or Ctrl-C (for
    deployments that turn off RECTRACK_IMPORT_WORKER, or to add workers)."""
    import signal

    from app.db import create_engine, create_sessionmaker
    from app.secret_key import SecretKeyError, with_secret_key
    from app.worker import Worker

    try:
        # Webhook secrets are encrypted with a key derived from it.
        settings = with_secret_key(_settings())
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from exc

    async def run() -> None:
        engine = create_engine(settings)
        running = Worker(create_sessionmaker(engine), settings)
        loop = asyncio.get_running_loop()
        for stop_signal in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop_signal, running.stop)
        click.echo(f"worker {running.deliveries.worker_id} started", err=True)
        try:
            await running.run()
        finally:
            await engine.dispose()
        click.echo("worker stopped", err=True)

    asyncio.run(run())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="The reverse proxies whose X-Forwarded-For is trusted, so that login limits count real "
    "clients (default: RECTRACK_FORWARDED_ALLOW_IPS, else 127.0.0.1).",
)
def serve(host: str, port: int, workers: int, forwarded_allow_ips: str | None) -> None:
    """Serve the API."""
    import uvicorn

    from app.secret_key import SecretKeyError, with_secret_key

    settings = _settings()
    try:
        # Made (or checked) once here, before the workers start, so that they all read one key.
        with_secret_key(settings)
    except SecretKeyError as exc:
        raise click.ClickException(str(exc)) from exc
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips or settings.forwarded_allow_ips,
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


@main.command()
@click.option("--write/--print", default=False, help="Rewrite the table in docs/permissions.md.")
def permissions(write: bool) -> None:
    """The permission matrix, derived from the routes."""
    from app.auth.matrix import BEGIN, END, matrix_markdown, permission_matrix
    from app.main import create_app

    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    table = matrix_markdown(permission_matrix(app))
    if not write:
        click.echo(table)
        return
    path = PROJECT_ROOT / "docs" / "permissions.md"
    text = path.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    path.write_text(before + table + after, encoding="utf-8")
    click.echo(f"wrote {path.relative_to(PROJECT_ROOT)}")


def _add_feature_commands() -> None:
    # Commands that live with their feature (imported here so that `rectrack --help` lists them).
    from app.exports.cli import export
    from app.reports.cli import report
    from app.suggestions.cli import suggest

    main.add_command(export)
    main.add_command(report)
    main.add_command(suggest)


_add_feature_commands()

if __name__ == "__main__":
    main()
