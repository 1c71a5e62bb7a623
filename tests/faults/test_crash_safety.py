"""kill -9 during a bulk archive import, restart: the database stays sound, nothing lost or doubled."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ARCHIVE

REPO = Path(__file__).resolve().parents[2]
RUNS = 5
KILLS_PER_RUN = 2
SEED = 20210405

OBSERVATIONS = (
    "SELECT source, key, paper_id, kind, observed_at, account, reposts, likes, replies, quotes,"
    " followers, is_repost, weight, url, author_name, author_handle, text, lang, html"
    " FROM observations ORDER BY source, key"
)
Rows = list[tuple[object, ...]]
Snapshot = tuple[str, int, Rows, Rows]
SCORES = (
    "SELECT paper_id, listing_date, score, reposts, likes, posts, accounts, measured_at"
    " FROM paper_scores ORDER BY paper_id"
)


def start_import(db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("HOTPAPERS_CONFIG", None)
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "import", "--db", str(db), str(ARCHIVE)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish_import(db: Path) -> None:
    proc = start_import(db)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]


def kill_at(db: Path, delay: float) -> bool:
    """Start an import and SIGKILL it after `delay` seconds; True when it was still running."""
    proc = start_import(db)
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        return True
    proc.communicate(timeout=60)
    return False


def integrity_of(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def snapshot(db: Path) -> Snapshot:
    conn = sqlite3.connect(db)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        return (
            integrity,
            papers,
            conn.execute(OBSERVATIONS).fetchall(),
            conn.execute(SCORES).fetchall(),
        )
    finally:
        conn.close()


@pytest.fixture(scope="module")
def clean_import(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    finish_import(db)
    return snapshot(db)


def test_a_clean_import_is_the_reference(clean_import: Snapshot) -> None:
    integrity, papers, observations, scores = clean_import
    assert integrity == "ok"
    assert papers == 2283
    assert len(observations) > 4000 and len(scores) > 0


@pytest.mark.parametrize("run", range(RUNS))
def test_kill_9_during_import_then_restart_loses_and_doubles_nothing(
    run: int,
    tmp_path: Path,
    clean_import: Snapshot,
) -> None:
    rng = random.Random(SEED + run)
    db = tmp_path / "crash.db"
    for _ in range(KILLS_PER_RUN):
        kill_at(db, rng.uniform(0.05, 1.5))
        if db.exists():  # a kill before the database was created leaves nothing to check
            assert integrity_of(db) == "ok"  # (a kill before the schema commits leaves no tables)
    finish_import(db)
    integrity, papers, observations, scores = snapshot(db)
    assert integrity == "ok"
    assert papers == clean_import[1] == 2283
    assert len(observations) == len(clean_import[2])
    assert observations == clean_import[2]
    assert scores == clean_import[3]


# -- a digest fan-out killed and restarted ---------------------------------------------------

CHANNELS = 120
FAN_OUT = """
import asyncio, json, os, signal, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from adapters.recording import Published, RecordingPublisher
from bot.services.delivery import DeliveryService
from bot.services.engine import Engine
from bot.domain.models import Digest
from bot.ports import Sent
from bot.store import Store
from bot.store.subscriptions import SubscriptionStore

db, sent_path, kill_at, when = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
now = datetime(2021, 4, 5, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
history = json.load(open(sent_path)) if os.path.exists(sent_path) else []
restored = [
    Published(h["channel"], Digest(title="restored", date=None), h["key"], Sent(tuple(h["ids"]), h["thread"]))
    for h in history
]

def on_publish(record):  # the platform's side: durable before the publisher returns
    if len(history) + 1 == kill_at and when == "before":  # dies before the platform has it
        os.kill(os.getpid(), signal.SIGKILL)
    history.append({"channel": record.channel, "key": record.idempotency_key,
                    "ids": list(record.sent.message_ids), "thread": record.sent.thread})
    tmp = sent_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(history, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, sent_path)
    if len(history) == kill_at and when == "after":  # the platform has it; the bot has not noted it
        os.kill(os.getpid(), signal.SIGKILL)

async def nap(seconds):
    await asyncio.sleep(0)

store = Store.open(db)
publisher = RecordingPublisher("recording", sent=restored, on_publish=on_publish)
service = DeliveryService(store, Engine(store, clock=lambda: now), {"recording": publisher},
                          clock=lambda: now, sleep=nap)
outcomes = asyncio.run(service.fan_out(SubscriptionStore(store).active(), now))
store.close()
print(len(outcomes))
"""


def seed_subscriptions(db: Path) -> None:
    from datetime import UTC, date, datetime, time

    from bot.domain.subscription import Subscription
    from bot.store import Store
    from bot.store.subscriptions import SubscriptionStore
    from tests.helpers import aggregate, paper

    ids = [f"2104.{n:05d}" for n in range(1, 6)]
    store = Store.open(db)
    try:
        store.upsert_papers([paper(pid, date(2021, 4, 5), ("cs.CV",)) for pid in ids])
        store.upsert_observations([aggregate(pid, 100 * (i + 1), 10) for i, pid in enumerate(ids)])
        subs = SubscriptionStore(store)
        for n in range(CHANNELS):
            subs.save(
                Subscription(
                    platform="recording",
                    channel=f"C{n:03d}",
                    filters=("cs.CV",),
                    n=3,
                    at=time(9, 0),
                    timezone="Europe/Berlin",
                    created_at=datetime(2021, 4, 1, tzinfo=UTC),
                )
            )
    finally:
        store.close()


def start_fan_out(
    db: Path, sent: Path, kill_at: int = -1, when: str = "after"
) -> subprocess.Popen[bytes]:
    """The fan-out in a real process, which SIGKILLs itself around its `kill_at`-th post."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", FAN_OUT, str(db), str(sent), str(kill_at), when],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("run", range(RUNS))
def test_kill_9_during_a_fan_out_then_restart_posts_one_digest_per_channel(
    run: int, tmp_path: Path
) -> None:
    rng = random.Random(SEED * 7 + run)
    db, sent = tmp_path / "bot.db", tmp_path / "sent.json"
    seed_subscriptions(db)
    killed = 0
    for _ in range(KILLS_PER_RUN):
        done = len(json.loads(sent.read_text())) if sent.exists() else 0
        kill_at = done + rng.randint(1, CHANNELS // KILLS_PER_RUN)
        proc = start_fan_out(db, sent, kill_at, rng.choice(["before", "after"]))
        proc.communicate(timeout=300)
        killed += proc.returncode == -signal.SIGKILL
    assert killed == KILLS_PER_RUN  # every run really died mid-fan-out
    proc = start_fan_out(db, sent)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")[-2000:]
    history = json.loads(sent.read_text())
    per_channel: dict[str, int] = {}
    for record in history:
        per_channel[record["channel"]] = per_channel.get(record["channel"], 0) + 1
    assert per_channel == {f"C{n:03d}": 1 for n in range(CHANNELS)}
    integrity, *_ = snapshot(db)
    assert integrity == "ok"
