"""The config file's `[[subscriptions]]` entries, validated into Subscriptions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands.tokens import DAY_OF, parse_clock, parse_days, resolve_timezone
from bot.domain.errors import ConfigError
from bot.domain.subscription import (
    CADENCES,
    DAILY,
    MAX_N,
    MONTHLY,
    ON_EMPTY,
    WEEKLY,
    Subscription,
    normalise_filters,
)
from bot.domain.taxonomy import resolve_filter, suggest
from bot.services.subscription_text import config_text

CONFIG_KEYS = frozenset(
    {
        "platform",
        "channel",
        "categories",
        "top",
        "at",
        "timezone",
        "days",
        "abstracts",
        "on_empty",
        "about",
        "by",
        "cadence",
        "day",
    }
)


def parse_config_subscriptions(
    entries: Sequence[Mapping[str, Any]], *, where: str = "config", default_timezone: str = "UTC"
) -> list[Subscription]:
    """Validate `[[subscriptions]]` entries; ConfigError names the entry and the key."""
    found = [
        parse_config_subscription(entry, number, where=where, default_timezone=default_timezone)
        for number, entry in enumerate(entries, start=1)
    ]
    seen: dict[tuple[object, ...], int] = {}
    for number, sub in enumerate(found, start=1):
        key = (sub.platform, sub.channel, sub.filters, sub.about, sub.by, sub.cadence)
        if key in seen:
            raise ConfigError(
                f"{where}: [[subscriptions]] #{number}: same platform, channel, categories, "
                f"about, by and cadence as entry #{seen[key]}"
            )
        seen[key] = number
    return found


def parse_config_subscription(
    entry: Mapping[str, Any], number: int, *, where: str = "config", default_timezone: str = "UTC"
) -> Subscription:
    if not isinstance(entry, Mapping):
        raise ConfigError(f"{where}: [[subscriptions]] #{number}: expected a table")
    label = f"{where}: [[subscriptions]] #{number}"

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{label} {key}: {problem}")

    unknown = sorted(set(entry) - CONFIG_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key; known: {', '.join(sorted(CONFIG_KEYS))}")
    texts = {}
    for key in ("platform", "channel"):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(key, 'required, a non-empty string (e.g. platform = "slack")')
        texts[key] = value.strip()
    label = f"{label} ({texts['platform']} {texts['channel']})"

    raw_categories = entry.get("categories", [])
    if isinstance(raw_categories, str):
        raw_categories = raw_categories.split()
    if not isinstance(raw_categories, list) or not all(isinstance(c, str) for c in raw_categories):
        raise fail("categories", 'expected a list of categories, e.g. ["cs.CV", "cs.LG"]')
    labels = []
    for token in raw_categories:
        resolved = resolve_filter(token)
        if resolved is None:
            hint = suggest(token)
            mean = f" — did you mean {hint}?" if hint else ""
            raise fail("categories", f"unknown category {token!r}{mean}")
        labels.append(resolved.label)

    top = entry.get("top", 5)
    if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_N:
        raise fail("top", f"expected a whole number from 1 to {MAX_N}, got {top!r}")

    raw_at = entry.get("at", "09:00")
    at = parse_clock(raw_at.strip().lower(), bare_hour=False) if isinstance(raw_at, str) else None
    if at is None:
        raise fail("at", f'expected a time of day like "09:00", got {raw_at!r}')

    raw_zone = entry.get("timezone", default_timezone)
    zone = resolve_timezone(raw_zone) if isinstance(raw_zone, str) else None
    if zone is None:
        raise fail("timezone", f'unknown timezone {raw_zone!r} (e.g. "Europe/Berlin")')
    ZoneInfo(zone)

    about, by = config_text(entry.get("about"), entry.get("by"), fail)
    cadence, days = _cadence_days(entry, fail)

    abstracts = entry.get("abstracts", True)
    if not isinstance(abstracts, bool):
        raise fail("abstracts", f"expected true or false, got {abstracts!r}")
    on_empty = entry.get("on_empty", "skip")
    if on_empty not in ON_EMPTY:
        raise fail("on_empty", f'expected "skip" or "note", got {on_empty!r}')

    return Subscription(
        platform=texts["platform"],
        channel=texts["channel"],
        filters=normalise_filters(labels),
        n=top,
        at=at,
        timezone=zone,
        days=days,
        abstracts=abstracts,
        on_empty=on_empty,
        origin="config",
        created_by="config",
        about=about,
        by=by,
        cadence=cadence,
    )


def _cadence_days(
    entry: Mapping[str, Any], fail: Callable[[str, str], ConfigError]
) -> tuple[str, tuple[int, ...] | None]:
    cadence = entry.get("cadence", DAILY)
    if cadence not in CADENCES:
        raise fail("cadence", f'expected "daily", "weekly" or "monthly", got {cadence!r}')
    day = entry.get("day")
    if cadence == WEEKLY:
        if "days" in entry:
            raise fail("days", 'a weekly subscription takes one `day` (e.g. day = "mon")')
        if not isinstance(day, str) or day.strip().lower() not in DAY_OF:
            raise fail("day", f'a weekly subscription needs its day, e.g. day = "mon"; got {day!r}')
        return cadence, (DAY_OF[day.strip().lower()],)
    if day is not None:
        raise fail("day", 'only a weekly subscription takes a day (cadence = "weekly")')
    if cadence == MONTHLY:
        if "days" in entry:
            raise fail("days", "a monthly subscription runs on the first listing day of a month")
        return cadence, None
    return cadence, _config_days(entry.get("days"), fail)


def _config_days(raw: object, fail: Callable[[str, str], ConfigError]) -> tuple[int, ...] | None:
    if raw is None:
        return None
    parts = raw.split() if isinstance(raw, str) else raw
    if not isinstance(parts, list) or not parts or not all(isinstance(p, str) for p in parts):
        raise fail("days", 'expected "listing", "daily", "weekdays", "mon-fri" or a list of days')
    if [p.lower() for p in parts] == ["listing"]:
        return None
    days: set[int] = set()
    for part in parts:
        parsed = parse_days(part.strip().lower())
        if parsed is None:
            raise fail("days", f"unknown day {part!r}; use names like mon, tue or mon-fri")
        days.update(parsed)
    return tuple(sorted(days))
