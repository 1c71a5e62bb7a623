"""Two bot processes on one database: a delivery is claimed in the store (a lease) before sending."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adapters.recording import Published, RecordingPublisher
from bot.domain import delivery as d
from bot.domain.delivery import DeliveryOutcome
from bot.domain.models import Digest
from bot.domain.subscription import Subscription
from bot.ports import Sent
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore
from tests.conftest import REPO
from tests.helpers import aggregate, paper

MONDAY_9 = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
KEY = "digest:2021-04-05:cs.CV:3"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "hotpapers.db"
    store = Store.open(path)
    ids = [f"2104.0000{i}" for i in range(1, 5)]
    store.upsert_papers([paper(pid, date(2021, 4, 5), ("cs.CV",)) for pid in ids])
    store.upsert_observations([aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(ids)])
    SubscriptionStore(store).save(
        Subscription(
            "slack",
            "C1",
            ("cs.CV",),
            3,
            time(9, 0),
            "Europe/Berlin",
            created_at=datetime(2021, 4, 1, tzinfo=UTC),
        )
    )
    store.close()
    return path


class SlowPublisher(RecordingPublisher):
    """A platform that takes half a second to accept a digest (the channel is shared)."""

    def __init__(self, sent: list[Published], started: threading.Event) -> None:
        super().__init__("slack", sent=sent)
        self.started = started

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        self.started.set()
        await asyncio.sleep(0.5)
        return await super().publish_digest(channel, digest, idempotency_key=idempotency_key)


def run_process(
    db: Path,
    sent: list[Published],
    started: threading.Event,
    go: threading.Event,
    outcomes: list[DeliveryOutcome],
) -> None:
    """One bot process: its own store connection, delivery service and event loop."""

    async def main() -> None:
        store = Store.open(db)
        try:
            sub = SubscriptionStore(store).active()[0]
            service = DeliveryService(
                store,
                Engine(store, clock=lambda: MONDAY_9),
                {"slack": SlowPublisher(sent, started)},
                clock=lambda: MONDAY_9,
                claim_poll=0.05,
            )
            outcomes.append(await service.deliver(sub, scheduled_for=MONDAY_9))
        finally:
            store.close()

    go.wait(timeout=60)
    asyncio.run(main())


@pytest.mark.parametrize("start", ["one while the other publishes", "both at once"])
def test_two_processes_on_one_database_post_the_digest_once(db: Path, start: str) -> None:
    sent: list[Published] = []
    started, go_first, go_second = threading.Event(), threading.Event(), threading.Event()
    outcomes: list[DeliveryOutcome] = []
    first = threading.Thread(target=run_process, args=(db, sent, started, go_first, outcomes))
    second = threading.Thread(target=run_process, args=(db, sent, started, go_second, outcomes))
    first.start()
    second.start()
    go_first.set()
    if start == "one while the other publishes":
        assert started.wait(timeout=60)  # the first is inside its 0.5 s publish
    go_second.set()
    first.join(timeout=120)
    second.join(timeout=120)

    assert len(sent) == 1  # one digest in the channel
    assert sorted(o.status for o in outcomes) == sorted([d.SENT, d.ALREADY_SENT])
    store = Store.open(db)
    record = store.deliveries.get("slack", "C1", KEY)
    store.close()
    assert record is not None and record.status == "sent"
    assert record.message_ids == sent[0].sent.message_ids


DIES_WHILE_PUBLISHING = """
import asyncio, os, signal, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from adapters.recording import RecordingPublisher
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.store.subscriptions import SubscriptionStore
from bot.store import Store

now = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))

def die(record):  # SIGKILLed while posting, before the channel has the digest
    os.kill(os.getpid(), signal.SIGKILL)

store = Store.open(sys.argv[1])
publisher = RecordingPublisher("slack", on_publish=die)  # its channel is not the test's
service = DeliveryService(store, Engine(store, clock=lambda: now), {"slack": publisher},
                          clock=lambda: now, owner="another-host:1:dead")
asyncio.run(service.deliver(SubscriptionStore(store).active()[0], scheduled_for=now))
"""


def test_a_claim_whose_owner_died_is_taken_over_only_after_its_lease(db: Path) -> None:
    # A process on another machine claims the digest and is killed while posting it.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", DIES_WHILE_PUBLISHING, str(db)],
        cwd=REPO,
        env=env,
        capture_output=True,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode(errors="replace")[-2000:]

    store = Store.open(db)
    sub = SubscriptionStore(store).active()[0]
    slack = RecordingPublisher("slack")
    lease = timedelta(seconds=60)
    now = [MONDAY_9]
    published_while_leased: list[int] = []

    async def wait(seconds: float) -> None:  # a clock that moves only when the bot waits
        now[0] += timedelta(seconds=seconds)
        if now[0] < MONDAY_9 + lease:
            published_while_leased.append(len(slack.sent))

    def service(clock_moves: bool) -> DeliveryService:
        return DeliveryService(
            store,
            Engine(store, clock=lambda: now[0]),
            {"slack": slack},
            clock=lambda: now[0],
            sleep=wait if clock_moves else _no_wait,
            lease=lease,
            claim_poll=5.0,
        )

    # Its lease still runs: the other machine may be posting it right now. Nothing is sent.
    held = asyncio.run(service(clock_moves=False).deliver(sub, scheduled_for=MONDAY_9))
    assert held.status == d.IN_PROGRESS and slack.sent == []

    # Waiting out the lease, the claim is taken over and the digest posted once.
    taken = asyncio.run(service(clock_moves=True).deliver(sub, scheduled_for=MONDAY_9))
    assert taken.status == d.SENT and len(slack.sent) == 1
    assert published_while_leased and set(published_while_leased) == {0}
    assert now[0] >= MONDAY_9 + lease
    record = store.deliveries.get("slack", "C1", KEY)
    store.close()
    assert record is not None and record.status == "sent"


async def _no_wait(seconds: float) -> None:
    return None


class HeldPublisher(RecordingPublisher):
    """A platform call that lasts until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__("slack")
        self.publishing = asyncio.Event()
        self.finish = asyncio.Event()

    async def publish_digest(self, channel: str, digest: Digest, *, idempotency_key: str) -> Sent:
        self.publishing.set()
        await self.finish.wait()
        return await super().publish_digest(channel, digest, idempotency_key=idempotency_key)


async def test_a_long_send_keeps_renewing_its_lease_so_nobody_takes_it_over(db: Path) -> None:
    now = [MONDAY_9]
    lease = timedelta(seconds=60)
    slack = HeldPublisher()

    def service(store: Store) -> DeliveryService:
        made = DeliveryService(
            store,
            Engine(store, clock=lambda: now[0]),
            {"slack": slack},
            clock=lambda: now[0],
            sleep=_no_wait,
            lease=lease,
            claim_poll=5.0,
        )
        made.claims.renew_every = 0.01  # renew often (real time); the lease runs on `now`
        return made

    first_store, second_store = Store.open(db), Store.open(db)
    sub = SubscriptionStore(first_store).active()[0]

    def claimed_until() -> float:
        row = second_store.conn.execute("SELECT claimed_until FROM deliveries").fetchone()
        return float(row[0] or 0)

    async def renewed_past(moment: datetime) -> None:
        while claimed_until() < moment.timestamp():
            await asyncio.sleep(0.01)

    first = asyncio.create_task(service(first_store).deliver(sub, scheduled_for=MONDAY_9))
    await asyncio.wait_for(slack.publishing.wait(), timeout=30)
    for _ in range(3):  # three minutes pass while the platform call hangs; the lease is renewed
        now[0] += timedelta(seconds=60)
        await asyncio.wait_for(renewed_past(now[0] + timedelta(seconds=30)), timeout=10)

    second = await service(second_store).deliver(sub, scheduled_for=MONDAY_9)
    slack.finish.set()
    done = await first
    first_store.close()
    second_store.close()

    assert (done.status, second.status) == (d.SENT, d.IN_PROGRESS)
    assert len(slack.sent) == 1
