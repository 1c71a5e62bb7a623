"""`hotpapers serve`: only the web adapter (digest pages, Atom feeds, the JSON API)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bot.cli.main import ConfigProblems, _app, _exit_now, checked_config, common_options
from bot.domain.errors import ConfigError


@click.command()
@common_options
@click.option("--host", help="Address to listen on (default: [adapters.web] host, 127.0.0.1).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    help="Port (default: [adapters.web] port, 8080; 0 = any free port, logged).",
)
def serve(config_path: Path | None, db: Path | None, host: str | None, port: int | None) -> None:
    """Serve the site: digest pages, Atom feeds and the JSON API (read-only); with no config,
    on the bundled sample."""
    import asyncio

    from bot.app import serve_web

    config = checked_config(config_path)
    table: dict[str, object] = dict(config.adapters.get("web", {}))
    if host is not None:
        table["host"] = host
    if port is not None:
        table["port"] = port
    app = _app(config_path, db, config=config, read_only=True)
    code = 0
    try:
        code = asyncio.run(serve_web(app, table))
    except KeyboardInterrupt:
        code = 130
    except ConfigError as exc:
        raise ConfigProblems(str(exc)) from None
    finally:
        app.close()
    if code:
        _exit_now(code)
    sys.stdout.flush()
