"""Subscriptions: a channel's standing order for a daily digest, managed from chat and config."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.commands import grammar as g
from bot.commands.tokens import parse_clock, parse_days, resolve_timezone
from bot.domain.errors import ConfigError
from bot.domain.models import Reply, Request
from bot.domain.taxonomy import CategoryFilter, resolve_filter, suggest
from bot.store import Store
from bot.store.codec import parse_time, time_text

log = logging.getLogger(__name__)

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LISTING_DAYS = (0, 1, 2, 3, 4)  # arXiv lists Monday to Friday
ON_EMPTY = ("skip", "note")
MAX_N = 25
CONFIG_KEYS = frozenset(
    {"platform", "channel", "categories", "top", "at", "timezone", "days", "abstracts", "on_empty"}
)


@dataclass(frozen=True)
class Subscription:
    """One channel's standing order: the top N of some categories at a time of day in a zone."""

    platform: str
    channel: str
    filters: tuple[str, ...] = ()  # canonical filter labels, sorted; () = every category
    n: int = 5
    at: time = time(9, 0)
    timezone: str = "UTC"
    days: tuple[int, ...] | None = None  # 0=Mon..6=Sun; None = arXiv's listing days (Mon-Fri)
    abstracts: bool = True  # post abstracts in the digest's thread
    on_empty: str = "skip"  # "skip" a day without a new listing, or post a short "note"
    status: str = "active"  # "active" | "paused"
    origin: str = "chat"  # "chat" | "config"
    created_by: str = ""
    created_at: datetime | None = None
    id: int | None = None

    @property
    def filter_text(self) -> str:
        return " ".join(self.filters)

    @property
    def run_days(self) -> tuple[int, ...]:
        return self.days if self.days is not None else LISTING_DAYS

    def category_filters(self) -> tuple[CategoryFilter, ...]:
        found = []
        for label in self.filters:
            resolved = resolve_filter(label)
            if resolved is None:
                log.warning("subscription %s: unknown category %r ignored", self.id, label)
            else:
                found.append(resolved)
        return tuple(found)

    def describe(self) -> str:
        """`the top 5 of cs.CV cs.LG at 09:00 Europe/Berlin on listing days`."""
        what = self.filter_text or "all categories"
        return (
            f"the top {self.n} of {what} at {self.at:%H:%M} {self.timezone} {days_text(self.days)}"
        )


def days_text(days: Sequence[int] | None) -> str:
    """`on listing days`, `every day`, `on weekdays`, `on weekends`, `on Mon, Wed`."""
    if days is None:
        return "on listing days"
    chosen = tuple(sorted(set(days)))
    if chosen == tuple(range(7)):
        return "every day"
    if chosen == LISTING_DAYS:
        return "on weekdays"
    if chosen == (5, 6):
        return "on weekends"
    return "on " + ", ".join(DAY_NAMES[d].capitalize() for d in chosen)


def days_value(days: Sequence[int] | None) -> str | None:
    """Days as stored and as APScheduler's `day_of_week` takes them: `mon,wed`; None = listing days."""
    if days is None:
        return None
    return ",".join(DAY_NAMES[d] for d in sorted(set(days)))


def parse_days_value(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    days = tuple(sorted({DAY_NAMES.index(p) for p in text.split(",") if p in DAY_NAMES}))
    return days or None


def normalise_filters(labels: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({label for label in labels if label}))


# -- storage ------------------------------------------------------------------------------------

_COLUMNS = (
    "id, platform, channel, filters, n, at, timezone, days, options, status, created_by, "
    "created_at, origin"
)


class SubscriptionStore:
    """CRUD over the `subscriptions` table; one row per (platform, channel, filters)."""

    def __init__(self, store: Store) -> None:
        self.conn = store.conn

    def all(
        self,
        platform: str | None = None,
        channel: str | None = None,
        *,
        status: str | None = None,
        origin: str | None = None,
    ) -> list[Subscription]:
        where, args = [], []
        for column, value in (
            ("platform", platform),
            ("channel", channel),
            ("status", status),
            ("origin", origin),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = f"SELECT {_COLUMNS} FROM subscriptions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.conn.execute(sql + " ORDER BY platform, channel, filters", args).fetchall()
        return [_subscription(r) for r in rows]

    def active(self) -> list[Subscription]:
        return self.all(status="active")

    def get(self, subscription_id: int) -> Subscription | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
        ).fetchone()
        return _subscription(row) if row else None

    def find(self, platform: str, channel: str, filters: Sequence[str]) -> Subscription | None:
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE platform = ? AND channel = ? "
            f"AND filters = ?",
            (platform, channel, " ".join(normalise_filters(filters))),
        ).fetchone()
        return _subscription(row) if row else None

    def save(self, sub: Subscription) -> Subscription:
        """Insert, or update the row with the same (platform, channel, filters)."""
        filters = normalise_filters(sub.filters)
        options = json.dumps({"abstracts": sub.abstracts, "on_empty": sub.on_empty})
        created = time_text(sub.created_at or datetime.now(UTC))
        self.conn.execute(
            "INSERT INTO subscriptions (platform, channel, filters, n, at, timezone, days, options, "
            "status, created_by, created_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(platform, channel, filters) DO UPDATE SET n = excluded.n, "
            "at = excluded.at, timezone = excluded.timezone, days = excluded.days, "
            "options = excluded.options, status = excluded.status, origin = excluded.origin",
            (
                sub.platform,
                sub.channel,
                " ".join(filters),
                sub.n,
                f"{sub.at:%H:%M}",
                sub.timezone,
                days_value(sub.days),
                options,
                sub.status,
                sub.created_by,
                created,
                sub.origin,
            ),
        )
        saved = self.find(sub.platform, sub.channel, filters)
        assert saved is not None
        return saved

    def delete(self, subscription_id: int) -> None:
        self.conn.execute("DELETE FROM subscriptions WHERE id = ?", (subscription_id,))

    def set_status(self, subscription_id: int, status: str) -> None:
        self.conn.execute(
            "UPDATE subscriptions SET status = ? WHERE id = ?", (status, subscription_id)
        )


def _subscription(row: tuple[Any, ...]) -> Subscription:
    try:
        options = json.loads(row[8] or "{}")
    except ValueError:
        options = {}
    if not isinstance(options, dict):
        options = {}
    at = parse_clock(str(row[5]), bare_hour=True) or time(9, 0)
    return Subscription(
        id=int(row[0]),
        platform=row[1],
        channel=row[2],
        filters=tuple(row[3].split()) if row[3] else (),
        n=int(row[4]),
        at=at,
        timezone=row[6],
        days=parse_days_value(row[7]),
        abstracts=bool(options.get("abstracts", True)),
        on_empty="note" if options.get("on_empty") == "note" else "skip",
        status=row[9],
        created_by=row[10],
        created_at=parse_time(row[11]),
        origin=row[12],
    )


# -- chat commands ------------------------------------------------------------------------------


class SubscriptionService:
    """Answers `subscribe`, `unsubscribe` and `subscriptions`; only channel admins change things."""

    def __init__(
        self,
        store: Store,
        on_change: Callable[[], object] | None = None,
        *,
        default_timezone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.subscriptions = SubscriptionStore(store)
        self.on_change = on_change
        self.default_timezone = default_timezone
        self.clock = clock or (lambda: datetime.now(UTC))

    def __call__(self, command: g.Command, request: Request) -> Reply:
        if isinstance(command, g.Subscriptions):
            return self._list(request)
        if not isinstance(command, g.Subscribe | g.Unsubscribe):
            return Reply("I don't know that one. Try `help subscribe`.", ok=False)
        if not request.is_admin:
            verb = "subscribe" if isinstance(command, g.Subscribe) else "unsubscribe"
            return Reply(
                f"Sorry, only channel admins can {verb} {channel_name(request.platform, request.channel)}: "
                f"a subscription posts to everyone here. Ask an admin, or use `top 5 today` "
                f"to get a digest just now.",
                ok=False,
            )
        if isinstance(command, g.Subscribe):
            return self._subscribe(command, request)
        return self._unsubscribe(command, request)

    def _subscribe(self, command: g.Subscribe, request: Request) -> Reply:
        filters = normalise_filters(f.label for f in command.filters)
        zone = command.timezone or request.timezone or self.default_timezone
        where = channel_name(request.platform, request.channel)
        existing = self.subscriptions.find(request.platform, request.channel, filters)
        if existing is not None and existing.origin == "config":
            if existing.status == "paused":
                resumed = self.subscriptions.save(replace(existing, status="active"))
                self._changed()
                return Reply(f"Resumed {where}: {resumed.describe()} (set in the config file).")
            return Reply(
                f"{_sentence(where)} already gets {existing.describe()}; that subscription comes from the "
                f"bot's config file, so change it there.",
                ok=False,
            )
        sub = Subscription(
            platform=request.platform,
            channel=request.channel,
            filters=filters,
            n=max(1, min(command.n, MAX_N)),
            at=command.at,
            timezone=zone,
            days=command.days,
            abstracts=existing.abstracts if existing else True,
            on_empty=existing.on_empty if existing else "skip",
            created_by=request.user,
            created_at=self.clock(),
        )
        saved = self.subscriptions.save(sub)
        self._changed()
        log.info(
            "subscription %s %s/%s: %s (by %s)",
            "updated" if existing else "created",
            request.platform,
            request.channel,
            saved.describe(),
            request.user,
        )
        if existing is None:
            return Reply(f"Subscribed {where} to {saved.describe()}.")
        return Reply(f"Updated {where}: now {saved.describe()}.")

    def _unsubscribe(self, command: g.Unsubscribe, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.subscriptions.all(request.platform, request.channel)
        if command.filters:
            wanted = normalise_filters(f.label for f in command.filters)
            mine = [s for s in mine if s.filters == wanted]
        if not mine:
            what = " to " + " ".join(f.label for f in command.filters) if command.filters else ""
            return Reply(
                f"{_sentence(where)} has no subscription{what}. `subscriptions` lists this channel's.",
                ok=False,
            )
        from_config = [s for s in mine if s.origin == "config"]
        removed = [s for s in mine if s.origin != "config"]
        for sub in removed:
            assert sub.id is not None
            self.subscriptions.delete(sub.id)
        if removed:
            self._changed()
        lines = [f"Unsubscribed {where} from {s.describe()}." for s in removed]
        lines.extend(
            f"{_sentence(where)} still gets {s.describe()}: it comes from the bot's config file, so remove "
            f"it there."
            for s in from_config
        )
        return Reply("\n".join(lines), ok=bool(removed))

    def _list(self, request: Request) -> Reply:
        where = channel_name(request.platform, request.channel)
        mine = self.subscriptions.all(request.platform, request.channel)
        if not mine:
            return Reply(
                f"{_sentence(where)} has no subscriptions. An admin can add one: "
                f"`subscribe cs.CV top 5 at 09:00 Europe/Berlin`."
            )
        lines = [f"Subscriptions of {where}:"]
        for sub in mine:
            flags = [f for f in (_paused(sub), _config(sub)) if f]
            lines.append(f"• {sub.describe()}" + (f" ({', '.join(flags)})" if flags else ""))
        return Reply("\n".join(lines))

    def _changed(self) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change()
        except Exception:
            log.exception("rescheduling after a subscription change failed")

    # -- config ------------------------------------------------------------------------------

    def sync_config_subscriptions(
        self,
        entries: Sequence[Mapping[str, Any]],
        *,
        where: str = "config",
        default_timezone: str | None = None,
    ) -> list[Subscription]:
        """Make the `[[subscriptions]]` entries the config-origin rows (added, updated, removed).

        Raises ConfigError naming the entry and key when an entry is wrong; nothing changes then.
        A paused config subscription stays paused until its entry changes or an admin resumes it.
        """
        wanted = parse_config_subscriptions(
            entries, where=where, default_timezone=default_timezone or self.default_timezone
        )
        keep: set[int] = set()
        saved = []
        for sub in wanted:
            existing = self.subscriptions.find(sub.platform, sub.channel, sub.filters)
            status = "active"
            if existing is not None and existing.origin == "config" and _same_order(existing, sub):
                status = existing.status  # a paused one stays paused until its entry changes
            stored = self.subscriptions.save(replace(sub, status=status, created_at=self.clock()))
            assert stored.id is not None
            keep.add(stored.id)
            saved.append(stored)
        for old in self.subscriptions.all(origin="config"):
            if old.id is not None and old.id not in keep:
                log.info("config subscription removed: %s/%s", old.platform, old.channel)
                self.subscriptions.delete(old.id)
        self._changed()
        return saved


def _same_order(a: Subscription, b: Subscription) -> bool:
    fields = ("n", "at", "timezone", "days", "abstracts", "on_empty")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _paused(sub: Subscription) -> str:
    return "paused: posting failed; `subscribe` again to resume" if sub.status == "paused" else ""


def _config(sub: Subscription) -> str:
    return "from the config file" if sub.origin == "config" else ""


# Platforms whose channel ids are opaque (C024BE91L, 1234567890): the channel is "this channel".
OPAQUE_CHANNEL_IDS = frozenset({"slack", "discord"})


def channel_name(platform: str, channel: str) -> str:
    """How a reply names the channel it is sent in: never a raw id."""
    if platform in OPAQUE_CHANNEL_IDS:
        return "this channel"
    return channel if channel.startswith("#") else f"#{channel}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def parse_config_subscriptions(
    entries: Sequence[Mapping[str, Any]], *, where: str = "config", default_timezone: str = "UTC"
) -> list[Subscription]:
    """Validate `[[subscriptions]]` entries; ConfigError names the entry and the key."""
    found = [
        parse_config_subscription(entry, number, where=where, default_timezone=default_timezone)
        for number, entry in enumerate(entries, start=1)
    ]
    seen: dict[tuple[str, str, tuple[str, ...]], int] = {}
    for number, sub in enumerate(found, start=1):
        key = (sub.platform, sub.channel, sub.filters)
        if key in seen:
            raise ConfigError(
                f"{where}: [[subscriptions]] #{number}: same platform, channel and categories as "
                f"entry #{seen[key]}"
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

    days = _config_days(entry.get("days"), fail)

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
    )


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
