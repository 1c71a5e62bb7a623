"""The composition root: the only place that builds the store, engine, scheduler, delivery
service, ingest jobs and adapters, once per process, and runs them (`run_bot`)."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.config import Config, default_database, load_config
from bot.domain.errors import ConfigError
from bot.services.engine import Engine, EngineSettings
from bot.services.rate_limits import RateLimiter, RateLimits
from bot.store import Store

if TYPE_CHECKING:  # imported where used: `hotpapers ask` starts without asyncio, the scheduler,
    # the sources' settings, the subscription or alert services (tests/unit/test_import_diet.py)
    import asyncio

    from bot.commands.types import Command
    from bot.domain.models import Paper, Reply, Request
    from bot.ports import Adapter, Publisher
    from bot.scheduler import Scheduler
    from bot.services.alert_check import AlertChecker
    from bot.services.alerts import AlertService
    from bot.services.ingest import Jobs
    from bot.services.lookups import PaperFetch
    from bot.services.subscriptions import SubscriptionService

log = logging.getLogger(__name__)


@dataclass
class App:
    config: Config
    store: Store
    engine: Engine
    timezone: str = "UTC"  # the default timezone of subscriptions made in chat
    _subscriptions: SubscriptionService | None = field(default=None, repr=False)
    _alerts: AlertService | None = field(default=None, repr=False)

    @property
    def subscriptions(self) -> SubscriptionService:
        """The subscription service, built on first use: `hotpapers ask "top ..."` never
        imports it (nor the alert service below)."""
        if self._subscriptions is None:
            from bot.services.subscriptions import SubscriptionService

            self._subscriptions = SubscriptionService(self.store, default_timezone=self.timezone)
        return self._subscriptions

    @property
    def alerts(self) -> AlertService:
        if self._alerts is None:
            from bot.services.alerts import AlertService

            self._alerts = AlertService(self.store)
        return self._alerts

    def handle_subscriptions(self, command: Command, request: Request) -> Reply:
        """The engine's handler of subscribe, unsubscribe, subscriptions."""
        return self.subscriptions(command, request)

    def handle_alerts(self, command: Command, request: Request) -> Reply:
        """The engine's handler of alert, alerts, unalert."""
        return self.alerts(command, request)

    def close(self) -> None:
        self.store.close()


def database_path(config: Config, db: str | Path | None) -> Path:
    """--db first, then the config's [bot] database; with no config at all, the bundled sample."""
    if db is not None:
        return Path(db)
    if config.database is not None:
        return config.database
    if config.is_default:
        from bot.store.sample import sample_database

        return sample_database()
    return default_database()


def build_app(
    config_path: str | Path | None = None,
    db: str | Path | None = None,
    *,
    config: Config | None = None,
) -> App:
    """The one store (with the config's scoring applied), subscriptions and engine."""
    config = config or load_config(config_path)
    store = Store.open(database_path(config, db), config.scoring)
    if not config.is_default:  # a config file's scoring is the one in force (rescores on change)
        store.apply_scoring(config.scoring)
    engine = Engine(
        store,
        EngineSettings(
            timezone=config.timezone,
            title=config.digest_title,
            min_score=config.min_score,
            command_seconds=config.command_seconds,
            team_weight=config.team_weight,
            public_url=_public_url(config),
        ),
        paper_fetch=_arxiv_fetch(config),
        limiter=RateLimiter(
            RateLimits(
                per_user=config.commands_per_user_per_minute,
                per_channel=config.commands_per_channel_per_minute,
            )
        ),
    )
    app = App(config=config, store=store, engine=engine, timezone=config.timezone)
    engine.subscriptions = app.handle_subscriptions  # the services are built on first use
    engine.alerts = app.handle_alerts
    return app


def _public_url(config: Config) -> str | None:
    """`[adapters.web] public_url`, normalised by the web's own config parser (which raises a
    ConfigError for a bad one): digests link their page on the site there."""
    table = config.adapters.get("web")
    if not table or not table.get("public_url"):
        return None
    from adapters import web_public_url

    return web_public_url(table, str(config.path or "config"))


def _arxiv_fetch(config: Config) -> PaperFetch | None:
    """`paper <id>` on an unknown id asks arXiv, when the arXiv source is configured.

    Network only (the store is written by the engine), so adapters may run it in a worker thread.
    """
    table = config.sources.get("arxiv")
    if table is None:
        return None

    def fetch(ids: Sequence[str]) -> Sequence[Paper]:
        from bot.sources.attention.ingest import arxiv_client

        with arxiv_client(table) as client:
            result = client.lookup(list(ids))
        papers: Sequence[Paper] = result.papers
        return papers

    return fetch


# -- running -------------------------------------------------------------------------------------

EXIT_ON_SIGNAL = {signal.SIGTERM: 143, signal.SIGINT: 130}
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # an adapter's restarts back off to a minute
STOP_GRACE_SECONDS = 10.0  # in-flight deliveries get this long to finish after a stop signal


class Running:
    """One `hotpapers run`: adapters supervised, the scheduler, and a clean stop on a signal."""

    def __init__(
        self, app: App, stdin: TextIO, *, interactive: bool, schedule: bool = True
    ) -> None:
        import asyncio

        self.app = app
        self.schedule = schedule  # False (`hotpapers serve`): adapters only, no jobs
        self.stdin = stdin
        self.interactive = interactive
        self.publishers: dict[str, Publisher] = {}
        self.stopping = asyncio.Event()
        self.signal: int | None = None
        self.fatal: BaseException | None = None

    def adapter_names(self) -> list[str]:
        """The configured adapters; the console when nothing else is (or when it is listed)."""
        configured = [name for name in self.app.config.adapters if name != "console"]
        if not configured or "console" in self.app.config.adapters:
            configured = ["console", *configured]
        return configured + self.listener_names()

    def listener_names(self) -> list[str]:
        """Source listeners run like adapters (bluesky-jetstream for [sources.bluesky])."""
        from bot.sources.attention.config import listeners

        return listeners(self.app.config.sources, str(self.app.config.path or "config"))

    async def run(self) -> int:
        """Serve until a signal, a fatal error, or (console alone) the end of input.

        Returns the exit status: 0, or 128 + the signal's number."""
        import asyncio

        loop = asyncio.get_running_loop()
        for signum in EXIT_ON_SIGNAL:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self._on_signal, signum)
        adapters = [await self._load(name) for name in self.adapter_names()]
        for adapter in adapters:
            if adapter.publisher is not None:
                self.publishers[adapter.name] = adapter.publisher
        scheduler = self._scheduler() if self.schedule else None
        tasks = {
            asyncio.create_task(self._supervise(a), name=f"adapter {a.name}") for a in adapters
        }
        try:
            stop = asyncio.create_task(self.stopping.wait())
            waiting = {*tasks, stop}
            while not self.stopping.is_set():
                done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                for task in done - {stop}:
                    tasks.discard(task)
                    if task.exception() is not None:
                        self.fatal = task.exception()
                        self.stopping.set()
                    elif task.get_name() == "adapter console" and not self._chatting(tasks):
                        self.stopping.set()  # the console alone: its end of input ends the run
        finally:
            await self._stop(scheduler, tasks)
        if self.fatal is not None:
            raise self.fatal
        if self.signal is not None:
            if self.signal == signal.SIGINT:
                log.warning("Interrupted (Ctrl-C): stopped.")
            else:
                log.warning("stopped by %s", signal.Signals(self.signal).name)
            return EXIT_ON_SIGNAL[signal.Signals(self.signal)]
        return 0

    def _chatting(self, tasks: set[asyncio.Task[None]]) -> bool:
        """Whether an adapter other than a source listener still runs."""
        from bot.sources.attention.config import LISTENERS

        quiet = {f"adapter {name}" for name in LISTENERS}
        return any(task.get_name() not in quiet for task in tasks)

    def _on_signal(self, signum: int) -> None:
        if self.signal is None:
            self.signal = signum  # the one log line comes when everything has stopped
        self.stopping.set()

    async def _load(self, name: str) -> Adapter:
        from adapters import AdapterContext, loader
        from bot.sources.attention.config import LISTENERS

        config = self.app.config
        where = f"{config.path or 'config'} [adapters.{name}]"
        table = config.adapters.get(name, {})
        if name in LISTENERS:  # a source listener reads its source's table
            where = f"{config.path or 'config'}: [sources.{LISTENERS[name]}]"
            table = config.sources.get(LISTENERS[name], {})
        context = AdapterContext(
            name=name,
            table=table,
            where=where,
            env=os.environ,
            engine=self.app.engine,
            store=self.app.store,
            publishers=self.publishers,
            stdin=self.stdin,
            interactive=self.interactive,
        )
        return await loader(name, where)(context)

    def _scheduler(self) -> Scheduler:
        """Config subscriptions synced first, then the scheduler started with its catch-up, and
        only then chat changes wired to it (a sync before start must not pre-empt the catch-up)."""
        from bot.scheduler import Scheduler
        from bot.services.alert_check import AlertChecker
        from bot.services.delivery import DeliveryService
        from bot.services.ingest import ingest_jobs

        app = self.app
        app.subscriptions.sync_config_subscriptions(
            app.config.subscriptions, where=str(app.config.path or "config")
        )
        alerts = AlertChecker(
            app.store,
            app.engine,
            self.publishers,
            per_day=app.config.alerts_per_channel_per_day,
        )
        scheduler = Scheduler(
            app.store,
            DeliveryService(app.store, app.engine, self.publishers),
            ingest=then_check(ingest_jobs(app.config, self.stores), alerts),
            misfire_grace_seconds=app.config.misfire_grace_seconds,
        )
        scheduler.start()
        app.subscriptions.on_change = scheduler.reschedule
        return scheduler

    @contextlib.contextmanager
    def stores(self) -> Iterator[Store]:
        """The store an ingest job uses in its worker thread."""
        yield self.app.store

    async def _supervise(self, adapter: Adapter) -> None:
        """Run an adapter; restart it with backoff when it fails for a reason worth retrying.

        ConfigError (a refused token, a missing secret) is final and stops the run."""
        import asyncio

        failures = 0
        while True:
            log.info("adapter %s: starting", adapter.name)
            try:
                await adapter.run()
            except (ConfigError, asyncio.CancelledError):
                raise
            except Exception as exc:
                delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
                failures += 1
                log.warning(
                    "adapter %s: %s: %s; retrying in %g s",
                    adapter.name,
                    type(exc).__name__,
                    str(exc)[:300],
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            log.info("adapter %s: stopped", adapter.name)
            return

    async def _stop(self, scheduler: Scheduler | None, tasks: set[asyncio.Task[None]]) -> None:
        """Stop taking commands and new jobs, let in-flight deliveries finish (their intent
        records cover a cut one), then stop every adapter."""
        import asyncio

        running: list[asyncio.Task[Any]] = []
        if scheduler is not None:
            scheduler.shutdown()
            running = list(scheduler.running_jobs())
        if running:
            log.info("waiting up to %g s for %d running job(s)", STOP_GRACE_SECONDS, len(running))
            await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
        for task in [*tasks, *running]:
            task.cancel()
        await asyncio.gather(*tasks, *running, return_exceptions=True)


def then_check(jobs: Jobs, alerts: AlertChecker) -> Jobs:
    """Every ingest job followed by the alert check: the job runs in its worker thread, then
    returns the check (uncalled), which the scheduler runs on the event loop (where publishers
    post)."""

    def job(run: Callable[[], object]) -> Callable[[], object]:
        def ingest_then_check() -> object:
            run()
            return alerts.check  # called on the loop; a stop in between leaves no coroutine

        return ingest_then_check

    return {name: (job(run), minutes) for name, (run, minutes) in jobs.items()}


async def run_listener(app: App, name: str, seconds: float) -> str:
    """One source listener alone for `seconds` (`hotpapers ingest bluesky --for 10m`); what it
    read is stored when it stops. Returns its one-line summary."""
    import asyncio

    adapter = await Running(app, io.StringIO(), interactive=False)._load(name)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(adapter.run(), timeout=seconds)
    summary = getattr(adapter, "summary", None)
    return str(summary()) if callable(summary) else f"{name}: stopped"


async def run_bot(app: App, stdin: TextIO, *, interactive: bool) -> int:
    """Run the configured adapters (the console when none), the scheduler and its ingest jobs."""
    return await Running(app, stdin, interactive=interactive).run()


async def serve_web(app: App, table: dict[str, object]) -> int:
    """`hotpapers serve`: only the web adapter (its table: the config's, overridden), no jobs."""
    from dataclasses import replace

    app.config = replace(app.config, adapters={"web": table})
    return await Running(app, io.StringIO(), interactive=False, schedule=False).run()


def build_static_site(app: App, out: Path, **options: Any) -> tuple[list[str], int]:
    """`hotpapers site build`: the web's pages as files; (files written, files unchanged)."""
    from adapters import site_builder

    report = site_builder()(app.engine, out, **options)
    return report.written, report.unchanged


def publish_bluesky_feeds(config: Config, *, dry_run: bool) -> list[Any]:
    """`hotpapers bluesky publish-feed`: the feed generator records, written to Bluesky (or only
    built, dry run). Records have .uri, .rkey and .record."""
    from datetime import UTC, datetime

    from adapters import feed_publisher

    where = str(config.path or "config")
    records: list[Any] = feed_publisher()(
        config.adapters.get("web"),
        config.adapters.get("bluesky"),
        where,
        os.environ,
        title=config.digest_title,
        now=datetime.now(UTC),
        dry_run=dry_run,
    )
    return records
