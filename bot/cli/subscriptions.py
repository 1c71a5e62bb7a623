"""`hotpapers subscriptions`: the channels' standing orders and when each digest next goes out."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.main import common_options
from bot.domain.errors import ConfigError

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

    from bot.domain.subscription import Subscription


@click.command()
@common_options
@click.option("--json", "as_json", is_flag=True, help="One JSON object per subscription.")
def subscriptions(config_path: Path | None, db: Path | None, as_json: bool) -> None:
    """List the subscriptions: channel, categories, N, time, timezone, days, status, next run."""
    from bot.app import build_app
    from bot.logs import configure_logging
    from bot.scheduler import cron_trigger
    from bot.services.subscriptions import SubscriptionService

    try:
        app = build_app(config_path, db)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(app.config)  # [bot] log_level (-v wins), the config's secrets redacted
    try:
        service = SubscriptionService(app.store, default_timezone=app.config.timezone)
        if app.config.subscriptions:
            service.sync_config_subscriptions(
                app.config.subscriptions, where=str(app.config.path or "config")
            )
        now = datetime.now(UTC)
        rows = [_row(sub, cron_trigger(sub), now) for sub in service.subscriptions.all()]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        app.close()
    if as_json:
        for row in rows:
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        click.echo(
            "No subscriptions. Add one in chat (`subscribe cs.CV top 5 at 09:00 Europe/Berlin`) "
            "or as [[subscriptions]] in the config."
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Subscriptions", box=None, pad_edge=False)
    for column in ("id", "channel", "categories", "top", "when", "status", "next run"):
        table.add_column(column, overflow="fold")
    for row in rows:
        status = str(row["status"])
        if row["origin"] == "config":
            status += " (config)"
        if row["on_empty"] == "note":
            status += ", notes empty days"
        next_run = str(row["next_run"] or "—").replace("T", " ")[:16]
        table.add_row(
            str(row["id"]),
            f"{row['platform']}/{row['channel']}",
            str(row["categories"]),
            str(row["top"]),
            f"{row['at']} {row['timezone']} {row['days']}",
            status,
            next_run,
        )
    Console(highlight=False, markup=False, emoji=False).print(table)


def _row(sub: Subscription, trigger: CronTrigger, now: datetime) -> dict[str, object]:
    from bot.domain.subscription import DAILY, FULL_DAY_NAMES, WEEKLY, days_text

    fire = trigger.get_next_fire_time(None, now) if sub.status == "active" else None
    return {
        "id": sub.id,
        "platform": sub.platform,
        "channel": sub.channel,
        "categories": sub.label or "all",
        "top": sub.n,
        "at": f"{sub.at:%H:%M}",
        "timezone": sub.timezone,
        "days": days_text(sub.days)
        if sub.cadence == DAILY
        else (
            f"weekly on {FULL_DAY_NAMES[sub.run_days[0]]}s"
            if sub.cadence == WEEKLY
            else "monthly, on the first listing day"
        ),
        "cadence": sub.cadence,
        "about": sub.topic_text,
        "by": sub.by,
        "abstracts": sub.abstracts,
        "on_empty": sub.on_empty,
        "status": sub.status,
        "origin": sub.origin,
        "next_run": fire.isoformat(timespec="minutes") if fire else None,
    }
