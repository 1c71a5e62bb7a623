"""`hotpapers bluesky publish-feed`: make the web server's custom feeds visible on Bluesky."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.main import ConfigProblems
from bot.domain.errors import ConfigError
from bot.domain.feeds import FeedPublishError


@click.group()
def bluesky() -> None:
    """Bluesky: the "Hot Papers" custom feeds."""


@bluesky.command(name="publish-feed")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="HOTPAPERS_CONFIG",
    help="TOML config file with [adapters.web] feed_* keys and [adapters.bluesky].",
)
@click.option(
    "--dry-run", is_flag=True, help="Print the records it would write; log in to nothing."
)
def publish_feed(config_path: Path | None, dry_run: bool) -> None:
    """Create or update one app.bsky.feed.generator record per feed ([adapters.web]
    feed_publisher_did, feed_hostname, feed_categories) in the repo of the [adapters.bluesky]
    account (its handle and app password from the environment variables it names)."""
    from bot.app import publish_bluesky_feeds
    from bot.config import load_config
    from bot.logs import configure_logging

    try:
        config = load_config(config_path)
        configure_logging(config)
        records = publish_bluesky_feeds(config, dry_run=dry_run)
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    except FeedPublishError as exc:
        raise click.ClickException(str(exc)) from None
    for item in records:
        if dry_run:
            click.echo(f"would put {item.uri}")
            click.echo(json.dumps(item.record, ensure_ascii=False, indent=2))
        else:
            click.echo(f"published {item.uri}")
    if not dry_run:
        click.echo(
            f"{len(records)} feed(s) published; Bluesky reads them from the server at did:web."
        )
