"""`hotpapers ingest SOURCE`: one run of a source, the same code the scheduler's jobs use."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

import click

from bot.cli.main import common_options
from bot.domain.errors import ConfigError
from bot.sources.attention import SOURCE_NAMES

log = logging.getLogger(__name__)


def _arxiv(app: Any, since: date | None, categories: tuple[str, ...]) -> None:
    """RSS listings (no --since) or a resumable OAI-PMH backfill, within arXiv's rate limit."""
    from rich.progress import Progress

    from bot.sources.arxiv.config import from_mapping as arxiv_config
    from bot.sources.arxiv.ingest import run_ingest

    where = f"{app.config.path or 'config'}: [sources.arxiv]"
    try:
        cfg = arxiv_config(app.config.sources.get("arxiv", {}), where)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    with Progress(transient=True) as progress:
        ok, text = run_ingest(app.store, cfg, since=since, categories=categories, progress=progress)
    click.echo(text)
    if not ok:
        raise click.exceptions.Exit(1)


def _lookup(app: Any) -> Any:
    """Unknown papers go to the arXiv source (None when it is not available)."""
    from bot.sources.attention.ingest import arxiv_lookup_from_config

    try:
        return arxiv_lookup_from_config(app.store, app.config.sources.get("arxiv", {}))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$")
UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in `90s`, `10m`, `2h` (a bare number is seconds); ValueError otherwise."""
    match = DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"expected a duration like 30s, 10m or 2h, got {text!r}")
    return float(match.group(1)) * UNITS[match.group(2)]


def _listen(app: Any, name: str, seconds: float) -> None:
    """A source listener alone for a while (Bluesky in jetstream mode)."""
    import asyncio

    from bot.app import run_listener

    click.echo(f"{name}: listening for {seconds:g} s (Ctrl-C stops)")
    try:
        click.echo(asyncio.run(run_listener(app, name, seconds)))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("source", type=click.Choice([*SOURCE_NAMES, "arxiv"]))
@common_options
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="arxiv only: backfill from DATE.")
@click.option("--category", "categories", multiple=True, help="arxiv only: a category (repeat).")
@click.option(
    "--for",
    "listen_for",
    default="10m",
    show_default=True,
    help='bluesky with mode = "jetstream" only: how long to listen (30s, 10m, 2h).',
)
def ingest(
    source: str,
    config_path: Path | None,
    db: Path | None,
    since: Any,
    categories: tuple[str, ...],
    listen_for: str,
) -> None:
    """Fetch attention from one SOURCE once (twitter, bluesky, mastodon, hackernews,
    huggingface) or arXiv metadata (arxiv), store it, and print what happened. Bluesky in
    jetstream mode (the default) listens to its stream for --for instead."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from bot.sources.attention.ingest import ingest_source

    try:
        app = build_app(config_path, db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(app.config)  # [bot] log_level (-v wins), the config's secrets redacted
    try:
        if source == "arxiv":
            _arxiv(app, since.date() if since else None, categories)
            return
        table = app.config.sources.get(source, {})
        where = str(app.config.path or "config")
        try:
            from bot.sources.attention.config import from_mapping, polled

            settings = from_mapping(source, table, where)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        if not polled(settings):
            try:
                seconds = parse_duration(listen_for)
            except ValueError as exc:
                raise click.BadParameter(str(exc), param_hint="--for") from None
            _listen(app, "bluesky-jetstream", seconds)
            return
        report = ingest_source(app.store, source, settings, _lookup(app))
        click.echo(report.summary())
        for problem in report.problems[:20]:
            click.echo(f"  skipped {problem}")
        if not report.ok:
            raise click.exceptions.Exit(1)
    finally:
        app.close()
