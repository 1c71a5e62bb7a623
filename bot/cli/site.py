"""`hotpapers site build DIR`: the web's pages, feeds and JSON as a static site."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.main import ConfigProblems, _app, common_options
from bot.domain.errors import ConfigError


@click.group()
def site() -> None:
    """The web's pages as a static site."""


@site.command()
@common_options
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--category", "-c", "categories", multiple=True, help="Also pages and a feed per category."
)
@click.option("--days", type=click.IntRange(1, 100_000), help="Only the latest N listing days.")
@click.option("--top", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--base-url",
    help="The site's address, for absolute feed links (default: [adapters.web] "
    "public_url; else relative).",
)
def build(
    config_path: Path | None,
    db: Path | None,
    out: Path,
    categories: tuple[str, ...],
    days: int | None,
    top: int,
    base_url: str | None,
) -> None:
    """Write the pages, Atom feeds, JSON and archive-format markdown of every listing day to OUT;
    only files whose content changed are rewritten."""
    from bot.app import build_static_site

    app = _app(config_path, db, read_only=True)
    try:
        base = base_url or app.config.adapters.get("web", {}).get("public_url")
        written, unchanged = build_static_site(
            app, out, base_url=base, categories=categories, days=days, top=top
        )
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    finally:
        app.close()
    click.echo(f"Wrote {len(written)} files to {out} ({unchanged} unchanged).")
