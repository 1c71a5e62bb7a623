"""The `hotpapers` command line."""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from bot.domain.errors import ConfigError

if TYPE_CHECKING:
    from bot.app import App
    from bot.config import Config

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


class ConfigProblems(click.ClickException):
    """A config error: one `Error: ...` line per problem (file, section, key), exit status 1."""

    def show(self, file: Any = None) -> None:
        for line in self.message.splitlines():
            click.echo(f"Error: {line}", err=True)


def _app(
    config_path: Path | None,
    db: Path | None,
    *,
    config: Config | None = None,
    read_only: bool = False,
) -> App:
    """The app; read_only: its store reads through read-only connections (ask, digest)."""
    from contextlib import nullcontext

    from bot.app import build_app
    from bot.logs import configure_logging
    from bot.store.db import read_only_opens

    try:
        with read_only_opens() if read_only else nullcontext():
            app = build_app(config_path, db, config=config)
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    finally:
        _started()
    configure_logging(app.config)
    return app


def _started() -> None:
    """The start-up is over: the garbage collector runs again (see `main`)."""
    if _QUIET_START[0]:
        _QUIET_START[0] = False
        gc.freeze()  # what start-up built lives as long as the process: never scan it again
        gc.enable()


def checked_config(config_path: Path | None) -> Config:
    """The config as `run` needs it: read, logging set up (level, secrets redacted), validated."""
    from bot.config import load_config
    from bot.config_check import validate
    from bot.logs import configure_logging

    try:
        config = load_config(config_path)
        configure_logging(config)
        validate(config)
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    return config


# Subcommands defined in their own modules, imported only when invoked (or listed by --help):
# `hotpapers ask` does not pay for ingest, serve, site, bench... (click's lazy-group pattern).
LAZY_COMMANDS = {
    "bench": "bot.cli.bench",
    "bluesky": "bot.cli.bluesky",
    "ingest": "bot.cli.ingest",
    "serve": "bot.cli.serve",
    "site": "bot.cli.site",
    "subscriptions": "bot.cli.subscriptions",
}


class Group(click.Group):
    """The one place where a database that cannot be used becomes a one-line error (exit 1).

    Also the lazy group: LAZY_COMMANDS are listed by name and imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = LAZY_COMMANDS.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            from importlib import import_module

            command = getattr(import_module(module), cmd_name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

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
@click.option("-v", "--verbose", is_flag=True, help="Log more (DEBUG, whatever the config says).")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """hotpapers: the arXiv papers people are talking about, ranked by attention."""
    from bot.logs import configure_cli

    configure_cli(verbose)
    if ctx.invoked_subcommand not in QUICK_START:
        _started()


@cli.command()
@common_options
def run(config_path: Path | None, db: Path | None) -> None:
    """Run the bot: with no config, the console on the bundled sample data."""
    import asyncio

    from bot.app import run_bot

    config = checked_config(config_path)  # what doctor checks, before anything is created
    app = _app(config_path, db, config=config)
    code = 0
    try:
        code = asyncio.run(run_bot(app, sys.stdin, interactive=sys.stdin.isatty()))
    except KeyboardInterrupt:
        code = 130
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    finally:
        app.close()
    if code:
        _exit_now(code)


def _exit_now(code: int) -> None:
    """Exit after a stop signal without waiting for a source's worker thread still inside a
    network call: what it had not committed is rolled back by SQLite, and its next run redoes it."""
    import os

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@cli.command()
@common_options
@click.argument("text", nargs=-1, required=True)
@click.option("--tz", help="Your timezone for `today` (e.g. Europe/Berlin).")
def ask(config_path: Path | None, db: Path | None, text: tuple[str, ...], tz: str | None) -> None:
    """Answer one chat command, e.g. hotpapers ask "top 5 cs.CV today"."""
    from bot.domain.models import Request

    app = _app(config_path, db, read_only=True)
    try:
        reply = app.engine.handle(
            Request(text=" ".join(text), timezone=_zone(tz), is_admin=True, addressed=True)
        )
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
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def import_(config_path: Path | None, db: Path | None, paths: tuple[Path, ...]) -> None:
    """Import Hot Papers archive posts (*.md, or folders of them) into the database.

    Exits 1 when nothing could be imported."""
    from bot.services.importer import import_archive_files

    files = _expand(paths)
    if not files:
        raise click.ClickException(
            "Nothing imported: no archive posts (*.md) in " + ", ".join(map(str, paths))
        )
    quiet = logging.getLogger("bot")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # per-file progress lines would drown the warnings
    try:
        app = _app(config_path, db)
        try:
            report = import_archive_files(app.store, files)
        finally:
            app.close()
    finally:
        quiet.setLevel(level)
    for problem in report.problems:
        where = f"{problem.path}:{problem.line}" if problem.line else problem.path
        click.echo(f"warning: {where}: {problem.message}", err=True)
    if report.nothing:
        count = len(files)
        why = "see the warnings above" if report.problems else "the posts list no papers"
        raise click.ClickException(f"Nothing imported from {count} file(s): {why}.")
    click.echo(report.summary())


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
    """Check what `run` checks (config, extras, secrets of the mode) and the database; creates
    nothing; exits 1 on any problem."""
    import os

    from bot.cli.doctor import database_report
    from bot.config import load_config
    from bot.config_check import check
    from bot.logs import configure_logging

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    configure_logging(config)
    click.echo(f"config: {config.path or 'none (console on the bundled sample)'}")
    checked = check(config, os.environ)
    for secret in checked.secrets:
        present = bool((os.environ.get(secret.variable) or "").strip())
        state = "set" if present else ("MISSING" if secret.required else "not set (optional)")
        click.echo(f"{secret.owner}: ${secret.variable} {state}")
    line, problem = database_report(config, db)
    click.echo(line)
    problems = [*checked.problems, *([problem] if problem else [])]
    if problems:
        raise ConfigProblems("\n".join(problems))
    click.echo("ok: `hotpapers run` would start with this config")


def _zone(tz: str | None) -> str | None:
    if tz is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown timezone {tz!r}", param_hint="--tz") from None
    return tz


# Commands whose start-up `main` runs without garbage collections: `_app` ends it.
QUICK_START = frozenset({"ask", "digest"})
_QUIET_START = [False]


def main() -> None:
    """The `hotpapers` command. Start-up (importing the core, building the app) allocates
    thousands of long-lived objects (classes, functions, dataclass methods) and no garbage
    cycles: for `ask` and `digest` the collections those allocations trigger cost about
    30 million instructions (about 8 ms), so the collector is off until the app is built, then
    frozen (start-up objects are never scanned again) and on. Other commands turn it on at once."""
    _QUIET_START[0] = gc.isenabled()
    gc.disable()
    try:
        cli(prog_name="hotpapers")
    finally:
        _started()


if __name__ == "__main__":
    main()
