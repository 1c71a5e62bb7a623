"""Golden replies: the query path's answers (the text, and the whole digest or paper card
behind it, which every other format renders) against the bundled sample plus a few social posts, compared with
tests/data/golden/query_replies.txt, recorded before the query path was restructured for speed.

A speed-up must not change a byte of any of them. Regenerate (only for an intended change of
output) with HOTPAPERS_REGEN_GOLDEN=1."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.domain.models import Request
from bot.services.engine import Engine, EngineSettings
from bot.store import Store
from bot.store.sample import sample_database
from tests.conftest import DATA
from tests.helpers import post

GOLDEN = DATA / "golden" / "query_replies.txt"
NOW = datetime(2021, 4, 5, 15, tzinfo=UTC)
COMMANDS = (
    "top 5 cs.CV today",
    "top 10 cs this week",
    "top 5 2021-04-05",
    "top 3 cs.LG stat.ML this month",
    "top 10 week about transformer",
    "trending 5 cs.LG",
    "trending 10",
    "trending 5 cs.CV 48h",
    "paper 2104.00743",
    "paper 2103.17249",
    "search vision transformer",
    "new 5 cs.CV",
)
# papers of the sample around 2021-04-05, each given posts from several accounts and sources
DISCUSSED = ("2103.17249", "2104.00298", "2104.00743", "2104.00587", "2103.17239", "2104.00670")


def social_posts() -> list:
    out = []
    for i, arxiv_id in enumerate(DISCUSSED):
        for j in range(4 + i):
            source = ("bluesky", "mastodon", "hackernews")[j % 3]
            out.append(
                post(
                    arxiv_id,
                    f"{arxiv_id}-{j}",
                    f"acct{j % 5}",
                    reposts=(i * 7 + j * 3) % 11,
                    likes=(i * 13 + j * 5) % 17,
                    source=source,
                    when=NOW - timedelta(hours=1 + 3 * j + i),
                )
            )
    return out


def replies(store: Store) -> str:
    engine = Engine(store, EngineSettings(public_url="https://hot.example"), clock=lambda: NOW)
    blocks = []
    for text in COMMANDS:
        reply = engine.handle(Request(text=text, addressed=True))
        assert reply is not None
        parts = [f"=== {text}", f"ok={reply.ok}", reply.text, repr(reply.digest), repr(reply.paper)]
        blocks.append("\n".join(parts))
    return "\n\n".join(blocks) + "\n"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    db = tmp_path / "sample.db"
    shutil.copy(sample_database(), db)
    s = Store.open(db)
    s.upsert_observations(social_posts())
    yield s
    s.close()


def test_query_replies_are_byte_identical_to_the_recorded_ones(store: Store) -> None:
    got = replies(store)
    if os.environ.get("HOTPAPERS_REGEN_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")
