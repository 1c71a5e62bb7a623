"""The web's pure parts and its one store query: attention over time, the chart, the config."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from adapters.web.chart import attention_chart, cumulative
from adapters.web.config import WebConfig
from adapters.web.render import safe_url
from bot.config import load_config
from bot.config_check import check
from bot.domain.errors import ConfigError
from bot.domain.models import Observation, Post, TimelinePoint
from bot.domain.scoring import ScoringConfig
from bot.store import Store
from tests.helpers import aggregate, paper, post


def test_attention_timeline_counts_per_source_and_day(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "t.db")
    store.apply_scoring(ScoringConfig(excluded_accounts=frozenset({"spammer"})))
    store.upsert_papers([paper("2104.00001", date(2021, 4, 5))])
    store.upsert_observations(
        [
            aggregate("2104.00001", 100, 20),  # 2021-04-06 09:00
            post("2104.00001", "a", "alice", 1, 2, when=datetime(2021, 4, 5, 1, tzinfo=UTC)),
            post("2104.00001", "b", "bob", 3, 4, when=datetime(2021, 4, 5, 23, tzinfo=UTC)),
            post("2104.00001", "c", "carol", 5, 6, when=datetime(2021, 4, 7, 0, tzinfo=UTC)),
            post("2104.00001", "s", "spammer", 99, 99, when=datetime(2021, 4, 7, tzinfo=UTC)),
            Observation(
                source="bluesky",
                key="embed",
                arxiv_id="2104.00001",
                kind="embed",
                observed_at=datetime(2021, 4, 8, tzinfo=UTC),
                reposts=50,
                post=Post(source="bluesky", url="https://x.example/1"),
            ),
        ]
    )
    assert store.attention_timeline("2104.00001") == [
        TimelinePoint("bluesky", date(2021, 4, 5), 2, 10),
        TimelinePoint("archive", date(2021, 4, 6), 1, 120),
        TimelinePoint("bluesky", date(2021, 4, 7), 1, 11),
    ]
    assert store.attention_timeline("2104.99999") == []
    store.close()


def test_the_chart_is_cumulative_per_source() -> None:
    points = [
        TimelinePoint("bluesky", date(2021, 4, 5), 2, 10),
        TimelinePoint("archive", date(2021, 4, 6), 1, 120),
        TimelinePoint("bluesky", date(2021, 4, 7), 1, 11),
    ]
    assert cumulative(points) == {
        "bluesky": [(date(2021, 4, 5), 10), (date(2021, 4, 7), 21)],
        "archive": [(date(2021, 4, 6), 120)],
    }
    svg = attention_chart(points, title="Attention <b>")
    assert svg.count("<polyline") == 2
    assert 'role="img"' in svg and "Attention &lt;b&gt;" in svg and "<b>" not in svg
    assert "<table>" in svg  # the numbers, for screen readers
    assert attention_chart([], title="x") == "<p>No dated attention to chart yet.</p>"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://bsky.app/profile/a/post/1", True),
        ("http://example.org/x", True),
        ("javascript:alert(1)", False),
        (" JavaScript:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_only_http_links_are_printed(url: str, ok: bool) -> None:
    assert (safe_url(url) is not None) is ok


def test_web_config_defaults_and_errors() -> None:
    config = WebConfig.from_mapping({}, "hp.toml")
    assert (config.host, config.port, config.public_url) == ("127.0.0.1", 8080, None)
    assert WebConfig.from_mapping({"public_url": "https://p.example"}, "f").public_url == (
        "https://p.example/"
    )
    for table, says in [
        ({"port": 70000}, "port"),
        ({"port": "80"}, "port"),
        ({"public_url": "ftp://x"}, "public_url"),
        ({"hots": "x"}, "unknown key 'hots'"),
        ({"requests_per_minute": -1}, "requests_per_minute"),
        ({"request_seconds": 0}, "request_seconds"),
    ]:
        with pytest.raises(ConfigError, match=says) as raised:
            WebConfig.from_mapping(table, "hp.toml")
        assert "hp.toml: [adapters.web]" in str(raised.value)


def test_doctor_and_run_check_the_web_table(tmp_path: Path) -> None:
    path = tmp_path / "hp.toml"
    path.write_text('[adapters.web]\nport = 8080\nhots = "x"\n', encoding="utf-8")
    problems = check(load_config(path), {}).problems
    assert len(problems) == 1 and "[adapters.web]" in problems[0] and "hots" in problems[0]
    path.write_text("[adapters.web]\nport = 0\n", encoding="utf-8")
    assert check(load_config(path), {}).problems == ()
