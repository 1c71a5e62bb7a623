"""The `hotpapers` command line."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.domain.errors import ConfigError

if TYPE_CHECKING:
    from bot.app import App

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "markdown", "json")


def common_options(func: F) -> F:
    func = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="HOTPAPERS_CONFIG",
        help="TOML config file (default: none = console adapter on the bundled sample).",
    )(func)
    func = click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="HOTPAPERS_DB",
        help="SQLite database file (overrides the config).",
    )(func)
    return func


def _app(config_path: Path | None, db: Path | None, *, read_only: bool = False) -> App:
    """The app; read_only: its store is opened read-only (the command never writes)."""
    from contextlib import nullcontext

    from bot.app import build_app
    from bot.store.db import read_only_opens

    try:
        with read_only_opens() if read_only else nullcontext():
            return build_app(config_path, db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


class Group(click.Group):
    """The one place where a database that cannot be used becomes a one-line error (exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3

        from bot.domain.errors import StorageError

        try:
            return super().invoke(ctx)
        except StorageError as exc:
            raise click.ClickException(str(exc)) from None
        except sqlite3.DatabaseError as exc:
            from bot.store.db import last_opened_path
            from bot.store.faults import storage_error

            error = storage_error(exc, last_opened_path()) if last_opened_path() else None
            if error is None:
                raise
            raise click.ClickException(str(error)) from None
        except ValueError as exc:
            if "null" not in str(exc).lower():
                raise
            from bot.store.faults import nul_message

            raise click.ClickException(nul_message()) from None


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hotpapers")
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
def cli(verbose: bool) -> None:
    """hotpapers: the arXiv papers people are talking about, ranked by attention."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@cli.command()
@common_options
def run(config_path: Path | None, db: Path | None) -> None:
    """Run the bot: with no config, the console on the bundled sample data."""
    import asyncio

    from bot.runtime import run_bot

    app = _app(config_path, db)
    try:
        asyncio.run(run_bot(app, sys.stdin, interactive=sys.stdin.isatty()))
    except KeyboardInterrupt:
        pass
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        app.close()


@cli.command()
@common_options
@click.argument("text", nargs=-1, required=True)
@click.option("--tz", help="Your timezone for `today` (e.g. Europe/Berlin).")
def ask(config_path: Path | None, db: Path | None, text: tuple[str, ...], tz: str | None) -> None:
    """Answer one chat command, e.g. hotpapers ask "top 5 cs.CV today"."""
    from bot.domain.models import Request

    app = _app(config_path, db, read_only=True)
    try:
        reply = app.engine.handle(Request(text=" ".join(text), timezone=_zone(tz), is_admin=True))
        if reply is None:
            click.echo("That is not a command I know. Try `help`.")
            sys.exit(1)
        click.echo(reply.text)
        if not reply.ok:
            sys.exit(1)
    finally:
        app.close()


@cli.command()
@common_options
@click.option(
    "--date", "on", type=click.DateTime(["%Y-%m-%d"]), help="Listing date (default: latest)."
)
@click.option(
    "--category", "-c", "categories", multiple=True, help="Category or archive; repeatable."
)
@click.option("--top", "n", type=click.IntRange(1, 1000), default=None, help="How many papers.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def digest(
    config_path: Path | None,
    db: Path | None,
    on: Any,
    categories: tuple[str, ...],
    n: int | None,
    fmt: str,
) -> None:
    """Print the digest of one listing day."""
    from bot.domain.taxonomy import resolve_filter, suggest
    from bot.services.periods import NoListing

    filters = []
    for token in categories:
        found = resolve_filter(token)
        if found is None:
            hint = suggest(token)
            raise click.BadParameter(
                f"unknown category {token!r}" + (f"; did you mean {hint}?" if hint else ""),
                param_hint="--category",
            )
        filters.append(found)
    app = _app(config_path, db, read_only=True)
    try:
        result = app.engine.digest(
            on=on.date() if on else None, filters=filters, n=n or app.config.digest_top
        )
        if isinstance(result, NoListing):
            raise click.ClickException(result.message)
        click.echo(render(result, fmt))
    finally:
        app.close()


def render(result: Any, fmt: str) -> str:
    if fmt == "json":
        from bot.render.jsonfmt import render_json

        return render_json(result)
    if fmt == "markdown":
        from bot.render.markdown import render_markdown

        return render_markdown(result)
    from bot.render.text import render_digest_text

    return render_digest_text(result)


@cli.command(name="import")
@common_options
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def import_(config_path: Path | None, db: Path | None, paths: tuple[Path, ...]) -> None:
    """Import Hot Papers archive posts (*.md) into the database."""
    from bot.services.importer import import_archive_files

    quiet = logging.getLogger("bot")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # per-file progress lines would drown the warnings
    try:
        app = _app(config_path, db)
        try:
            report = import_archive_files(app.store, _expand(paths))
            for problem in report.problems:
                click.echo(f"warning: {problem.path}:{problem.line}: {problem.message}", err=True)
            click.echo(report.summary())
        finally:
            app.close()
    finally:
        quiet.setLevel(level)


def _expand(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(path.glob("*.md")))
        else:
            found.append(path)
    return found


@cli.command()
@common_options
def doctor(config_path: Path | None, db: Path | None) -> None:
    """Check the config, the secrets it names, and the database."""
    from bot.app import database_path
    from bot.config import load_config

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"config: {config.path or 'none (console on the bundled sample)'}")
    missing = not _doctor_database(database_path(config, db), config)
    for kind, tables in (("adapter", config.adapters), ("source", config.sources)):
        for name, table in tables.items():
            for key, variable in table.items():
                if key.endswith("_env"):
                    import os

                    present = bool(os.environ.get(str(variable)))
                    missing |= not present
                    state = "set" if present else "MISSING"
                    click.echo(f"{kind} {name}: ${variable} {state}")
    if missing:
        sys.exit(1)


def _doctor_database(path: Path, config: Any) -> bool:
    """Report on the database, opened read-only (doctor creates and changes nothing)."""
    from bot.domain.errors import StorageError
    from bot.store import Store

    if not path.exists():
        click.echo(f"database: {path} (not created yet: `run`, `import` or `ingest` creates it)")
        return True
    try:
        store = Store.open(path, config.scoring, read_only=True)
    except StorageError as exc:
        click.echo(f"database: {exc}")
        return False
    try:
        latest = store.latest_listing_date()
        click.echo(
            f"database: {path} ({store.count('papers'):,} papers, "
            f"{store.count('observations'):,} observations, latest listing {latest or 'none'})"
        )
        integrity = store.conn.execute("PRAGMA quick_check").fetchone()[0]
        click.echo(f"integrity: {integrity}")
        return bool(integrity == "ok")
    finally:
        store.close()


def _zone(tz: str | None) -> str | None:
    if tz is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown timezone {tz!r}", param_hint="--tz") from None
    return tz


def _register() -> None:
    from bot.cli.bench import bench
    from bot.cli.ingest import ingest
    from bot.cli.subscriptions import subscriptions

    for command in (bench, ingest, subscriptions):
        cli.add_command(command)


def main() -> None:
    cli(prog_name="hotpapers")


_register()


if __name__ == "__main__":
    main()
