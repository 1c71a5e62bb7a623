"""The scheduler: one cron job per subscription in its timezone, ingest jobs at their intervals.

APScheduler 3's AsyncIOScheduler: deliveries are coroutines (the platform clients are asyncio),
and coroutine jobs run on the event loop's thread, the one thread that owns the store's SQLite
connection. Synchronous ingest callables run in the scheduler's own worker threads (so a slow
source never waits behind, or holds up, other threads' work), on the process's one Store.

Job functions are module-level and take ids only (no closures), so a persistent job store could
pickle them; they find the live Scheduler through a registry keyed by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.domain.daily import Days, MonthStart, next_fire
from bot.domain.delivery import DeliveryOutcome
from bot.domain.subscription import DAILY, DAY_NAMES, Subscription, days_value
from bot.services.delivery import DeliveryService
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

log = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 3600
SPAN_GRACE_SECONDS = 6 * 24 * 3600  # a missed weekly/monthly digest is still owed for 6 days
IngestJobs = Mapping[str, tuple[Callable[[], object], float]]  # name -> (callable, minutes)

_RUNTIMES: dict[str, Scheduler] = {}


class DailyCronTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 has no types
    """Fires once on each chosen local day at a time of day, DST gaps and folds included.

    Plain cron skips a day whose time the clocks jump over (00:00 Africa/Cairo on 2026-04-24)
    and fires twice in an hour the clocks repeat; a daily digest wants exactly one run a day:
    a skipped time fires when the clocks jump, a repeated one at its first occurrence
    (bot.domain.daily). Still a CronTrigger for what reads its fields (str, the CLI).
    """

    def __init__(self, days: Days, at: time, timezone: ZoneInfo) -> None:
        monthly = isinstance(days, MonthStart)
        weekdays = days.weekdays if isinstance(days, MonthStart) else days
        super().__init__(
            day_of_week=",".join(DAY_NAMES[d] for d in sorted(set(weekdays))) or None,
            day="1-7" if monthly else None,  # for display: next_fire picks the first of them
            hour=at.hour,
            minute=at.minute,
            timezone=timezone,
        )
        self.days: Days = days if isinstance(days, MonthStart) else tuple(sorted(set(days)))
        self.at = at

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        zone: tzinfo = self.timezone
        if previous_fire_time is None:
            return next_fire(self.days, self.at, zone, now)
        # APScheduler's cron semantics: after the previous fire (even when that is before now).
        start = min(now, previous_fire_time + timedelta(microseconds=1))
        if start <= previous_fire_time:
            start = previous_fire_time + timedelta(microseconds=1)
        after_day = previous_fire_time.astimezone(zone).date()
        return next_fire(self.days, self.at, zone, start, after_day)

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        state["daily"] = (self.days, self.at)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self.days, self.at = state["daily"]


def cron_trigger(sub: Subscription) -> DailyCronTrigger:
    """The subscription's trigger: its time of day on its days (a weekly one's one day, a monthly
    one's first listing day of the month), in its timezone (DST-correct)."""
    return DailyCronTrigger(sub.fire_days, sub.at, ZoneInfo(sub.timezone))


def previous_fire_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The trigger's latest fire time at or before `now` (looking back eight days; a monthly
    trigger's, 35)."""
    back = 35 if isinstance(getattr(trigger, "days", None), MonthStart) else 8
    fire: datetime | None = trigger.get_next_fire_time(None, now - timedelta(days=back))
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        # Step in UTC: wall-clock arithmetic would drop `fold` inside a repeated hour.
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return latest


class Scheduler:
    """Runs subscribed digests and ingest jobs; `reschedule()` applies subscription changes."""

    def __init__(
        self,
        store: Store,
        delivery: DeliveryService,
        *,
        ingest: IngestJobs | None = None,
        misfire_grace_seconds: int = DEFAULT_GRACE_SECONDS,
        on_delivered: Callable[[DeliveryOutcome], object] | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.store = store
        self.delivery = delivery
        self.clock = delivery.clock
        self.ingest = dict(ingest or {})
        self.grace = max(1, int(misfire_grace_seconds))
        self.on_delivered = on_delivered
        self.subscriptions = SubscriptionStore(store)
        self.aps = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "misfire_grace_time": self.grace, "max_instances": 1},
        )
        self.aps.add_listener(self._on_missed, EVENT_JOB_MISSED)
        self._signatures: dict[str, tuple[str, str, str | None, str]] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._ingest_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ingest")
        self._ingest_active = 0

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Schedule everything and start. Call from inside the running event loop.

        A digest whose last fire time passed while the bot was down (and after the subscription
        was made) is scheduled at that past time: APScheduler then runs it once, late, inside the
        misfire grace, or reports it missed (logged, skipped) beyond it.
        """
        _RUNTIMES[self.id] = self
        self._sync(catch_up=True)
        now = self.clock()
        for name, (_func, minutes) in self.ingest.items():
            self.aps.add_job(
                run_ingest_job,
                IntervalTrigger(minutes=max(1.0, float(minutes)), timezone=UTC),
                args=(self.id, name),
                id=f"ingest:{name}",
                name=f"ingest {name}",
                next_run_time=now,
                replace_existing=True,
            )
        self.aps.start()
        log.info("scheduler started: %d jobs", len(self.aps.get_jobs()))

    def shutdown(self) -> None:
        """Start no new job; running ones go on (see `running_jobs`), ingest threads are left to
        finish or be abandoned at exit."""
        if self.aps.running:
            self.aps.shutdown(wait=False)
        self._ingest_pool.shutdown(wait=False, cancel_futures=True)
        _RUNTIMES.pop(self.id, None)

    def running_jobs(self) -> set[asyncio.Task[Any]]:
        """The digest and ingest jobs running now (to wait for, or cancel, at a stop)."""
        return {task for task in self._running if not task.done()}

    def ingest_busy(self) -> bool:
        """Whether an ingest job's worker thread is still running."""
        return self._ingest_active > 0

    def reschedule(self) -> None:
        """Bring the digest jobs in line with the stored subscriptions (no restart needed)."""
        self._sync(catch_up=False)

    def next_runs(self) -> list[tuple[str, datetime | None]]:
        """(job name, next run time) for every job, soonest first (for the console and CLI)."""
        jobs = [(job.name, getattr(job, "next_run_time", None)) for job in self.aps.get_jobs()]
        far = datetime.max.replace(tzinfo=UTC)
        return sorted(jobs, key=lambda j: j[1] or far)

    # -- jobs ------------------------------------------------------------------------------------

    async def run_subscription(self, subscription_id: int) -> DeliveryOutcome | None:
        sub = self.subscriptions.get(subscription_id)
        if sub is None or sub.status != "active":
            log.info("subscription %s is gone or paused: nothing to deliver", subscription_id)
            return None
        now = self.clock()
        scheduled_for = previous_fire_time(cron_trigger(sub), now) or now
        outcome = await self.delivery.deliver(sub, scheduled_for=scheduled_for)
        self._mark_run(subscription_id, scheduled_for)
        if self.on_delivered is not None:
            try:
                self.on_delivered(outcome)
            except Exception:
                log.exception("on_delivered callback failed")
        return outcome

    def _count_ingest(self, func: Callable[[], object]) -> Callable[[], object]:
        def counted() -> object:
            self._ingest_active += 1
            try:
                return func()
            finally:
                self._ingest_active -= 1

        return counted

    async def run_ingest(self, name: str) -> None:
        entry = self.ingest.get(name)
        if entry is None:
            log.warning("no ingest job named %s", name)
            return
        func = entry[0]
        try:
            if inspect.iscoroutinefunction(func):
                await func()
            else:
                result = await asyncio.get_running_loop().run_in_executor(
                    self._ingest_pool, self._count_ingest(func)
                )
                if inspect.iscoroutinefunction(result):  # a follow-up to run on the loop
                    await result()
                elif inspect.isawaitable(result):
                    await result
        except Exception:
            log.exception("ingest %s failed; the next run tries again", name)

    @contextlib.contextmanager
    def tracked(self, what: str) -> Iterator[None]:
        """Count the running job in `running_jobs`; a stop that cancels it is logged as such,
        not as the job's failure (APScheduler would print a CancelledError traceback)."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            yield
        except asyncio.CancelledError:
            log.info("%s: cut off by the stop; the next start picks it up", what)
        finally:
            if task is not None:
                self._running.discard(task)

    # -- internals -------------------------------------------------------------------------------

    def _sync(self, *, catch_up: bool) -> None:
        wanted = {f"digest:{s.id}": s for s in self.subscriptions.active() if s.id is not None}
        for job_id in [j for j in self._signatures if j not in wanted]:
            if self.aps.get_job(job_id) is not None:
                self.aps.remove_job(job_id)
            del self._signatures[job_id]
            log.info("unscheduled %s", job_id)
        now = self.clock()
        for job_id, sub in wanted.items():
            signature = (f"{sub.at:%H:%M}", sub.timezone, days_value(sub.run_days), sub.cadence)
            if self._signatures.get(job_id) == signature and self.aps.get_job(job_id) is not None:
                continue
            trigger = cron_trigger(sub)
            options: dict[str, Any] = {}
            if sub.cadence != DAILY:
                options["misfire_grace_time"] = max(self.grace, SPAN_GRACE_SECONDS)
            missed = previous_fire_time(trigger, now) if catch_up else None
            if missed is not None and self._owes(sub, missed):
                options["next_run_time"] = missed
                log.info("%s last fired at %s while the bot was down: catching up", job_id, missed)
            self.aps.add_job(
                run_digest_job,
                trigger,
                args=(self.id, sub.id),
                id=job_id,
                name=f"digest {sub.platform}/{sub.channel} {sub.key_text or 'all'}".strip(),
                replace_existing=True,
                **options,
            )
            self._signatures[job_id] = signature

    def _owes(self, sub: Subscription, fire: datetime) -> bool:
        """Whether the run at `fire` is still owed: after the subscription began, not yet run."""
        if sub.created_at is not None and fire < sub.created_at:
            return False
        last = self.store.get_meta(_last_run_key(sub.id))
        return last is None or datetime.fromisoformat(last) < fire

    def _mark_run(self, subscription_id: int | None, fire: datetime) -> None:
        self.store.set_meta(_last_run_key(subscription_id), fire.astimezone(UTC).isoformat())

    def _on_missed(self, event: JobExecutionEvent) -> None:
        run_time = event.scheduled_run_time
        log.warning(
            "job %s scheduled for %s was missed by more than the %d s grace: skipped",
            event.job_id,
            run_time,
            self.grace,
        )
        if event.job_id.startswith("digest:"):
            with contextlib.suppress(ValueError):
                self._mark_run(int(event.job_id.split(":", 1)[1]), run_time)


def _last_run_key(subscription_id: int | None) -> str:
    return f"subscription:{subscription_id}:last_run"


async def run_digest_job(runtime_id: str, subscription_id: int) -> str:
    """APScheduler job: deliver one subscription's digest (module-level, ids only: picklable)."""
    runtime = _RUNTIMES.get(runtime_id)
    if runtime is None:
        log.warning(
            "scheduler %s is not running: digest job %s dropped", runtime_id, subscription_id
        )
        return "no scheduler"
    with runtime.tracked(f"digest {subscription_id}"):
        outcome = await runtime.run_subscription(subscription_id)
        return outcome.status if outcome is not None else "inactive"
    return "stopped"


async def run_ingest_job(runtime_id: str, name: str) -> None:
    """APScheduler job: run one configured source's ingest (module-level, ids only)."""
    runtime = _RUNTIMES.get(runtime_id)
    if runtime is None:
        log.warning("scheduler %s is not running: ingest job %s dropped", runtime_id, name)
        return
    with runtime.tracked(f"ingest {name}"):
        await runtime.run_ingest(name)
