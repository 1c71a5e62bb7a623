"""Attention sources through their real client libraries against fakes on 127.0.0.1.

Recorded payloads come from tests/data/fixtures; tests/data/attention/ holds payloads in the same
formats that carry arXiv links (see tests/data/attention/README.md for which are derived).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adapters.sources.bluesky import expand_links, facet_links, parse_search
from adapters.sources.twitter import parse_page
from bot.domain.errors import ConfigError
from bot.domain.models import Observation
from bot.domain.scoring import FeedBotRule, ScoringConfig, feed_bot_days
from bot.sources.attention.base import FetchResult, cursor_name, run_source
from bot.sources.attention.config import (
    BlueskyConfig,
    HackerNewsConfig,
    HuggingFaceConfig,
    MastodonConfig,
    MastodonInstance,
    TwitterConfig,
    from_mapping,
)
from bot.sources.attention.ingest import ingest_source
from bot.store import Store
from tests.conftest import FIXTURES
from tests.fakes.attention_fakes import (
    Answer,
    Fake,
    Seen,
    data_file,
    json_answer,
    raw_answer,
    serve,
)
from tests.helpers import post

NOW = datetime(2021, 4, 5, 18, 0, tzinfo=UTC)
A, B, C = "2104.00743", "2103.12345", "2104.01111"


def clock() -> datetime:
    return NOW


def score(store: Store, arxiv_id: str, source: str | None = None) -> float:
    s = store.score_of(arxiv_id)
    if source is None:
        return s.total
    return sum(p.score * p.weight for p in s.parts if p.source == source)


def part(store: Store, arxiv_id: str, source: str) -> Any:
    return next(p for p in store.score_of(arxiv_id).parts if p.source == source)


class Lookups:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, ids: Any) -> None:
        self.calls.append(list(ids))


# -- X / Twitter (tweepy) ---------------------------------------------------------------------


def twitter_fake(fake: Fake) -> None:
    def search(seen: Seen) -> Answer:
        if seen.param("next_token") == "p2":
            return json_answer(data_file("twitter_search_page2.json"))
        return json_answer(data_file("twitter_search_page1.json"))

    fake.route("/2/tweets/search/recent", search)


def twitter_cfg(fake: Fake, **kw: Any) -> TwitterConfig:
    return TwitterConfig(base_url=fake.url, **kw)


def run_twitter(store: Store, fake: Fake, lookup: Any = None, sleep: Any = None, **kw: Any) -> Any:
    return ingest_source(
        store,
        "twitter",
        twitter_cfg(fake, **kw),
        lookup,
        env={"X_BEARER_TOKEN": "test-bearer"},
        clock=clock,
        sleep=sleep or (lambda s: None),
    )


def test_twitter_search_counts_one_post_per_account_and_no_reposts() -> None:
    store = Store.memory()
    lookups = Lookups()
    with serve() as fake:
        twitter_fake(fake)
        report = run_twitter(store, fake, lookups)
    assert report.ok, report
    first = fake.requests("/2/tweets/search/recent")[0]
    assert first.param("query") == "url:arxiv.org"
    assert "public_metrics" in (first.param("tweet.fields") or "")
    assert "author_id" in (first.param("expansions") or "")
    assert "public_metrics" in (first.param("user.fields") or "")
    assert first.headers["authorization"] == "Bearer test-bearer"
    assert fake.requests("/2/tweets/search/recent")[1].param("next_token") == "p2"
    # alice posted twice (60 and 7): her most engaged post counts; erin's 10; bob's retweet 0
    a = part(store, A, "twitter")
    assert (a.posts, a.accounts, a.reposts, a.likes) == (2, 2, 13, 57)
    assert store.score_of(A).total == 70
    # carol's one tweet names two papers (arXiv: in text, a t.co link): both get it
    assert store.score_of(B).total == 4 and store.score_of(C).total == 4
    # the cursor is the newest id; the next run asks only for newer posts
    assert store.get_cursor(cursor_name("twitter")) == "1379000000000001007"
    assert lookups.calls == [sorted([A, B, C])]  # unknown papers go to the arXiv lookup
    # malformed tweets (no id, unknown author, not an object) were skipped, the rest ingested
    assert len(report.problems) == 3


def test_twitter_posts_keep_display_text_and_link() -> None:
    store = Store.memory()
    with serve() as fake:
        twitter_fake(fake)
        run_twitter(store, fake)
    posts = store.top_posts(A)
    assert posts[0].url == "https://x.com/Alice/status/1379000000000001001"
    assert posts[0].author_name == "Alice A."
    assert "https://arxiv.org/abs/2104.00743" in posts[0].text  # t.co expanded for display
    assert "https://t.co/" not in posts[0].text


def test_twitter_second_run_sends_since_id() -> None:
    store = Store.memory()
    with serve() as fake:
        twitter_fake(fake)
        run_twitter(store, fake)
        fake.seen.clear()
        run_twitter(store, fake, refresh_hours=0)
    assert fake.requests("/2/tweets/search/recent")[0].param("since_id") == "1379000000000001007"


@pytest.mark.parametrize("status", [401, 403])
def test_twitter_401_403_says_search_needs_a_paid_tier(status: int) -> None:
    store = Store.memory()
    body = {"title": "Forbidden", "detail": "client-not-enrolled", "type": "about:blank"}
    with serve() as fake:
        fake.route("/2/tweets/search/recent", json_answer(body, status))
        report = run_twitter(store, fake)
    assert not report.ok
    assert "paid X API tier" in report.error
    assert "X_BEARER_TOKEN" in report.error and "test-bearer" not in report.error
    assert store.count("observations") == 0


def test_twitter_429_waits_for_the_reset_then_goes_on() -> None:
    store = Store.memory()
    slept: list[float] = []
    reset = int(NOW.timestamp()) + 120
    limited = json_answer({"title": "Too Many Requests"}, 429, {"x-rate-limit-reset": str(reset)})
    with serve() as fake:
        fake.route(
            "/2/tweets/search/recent",
            limited,
            json_answer(data_file("twitter_search_page2.json")),
        )
        report = run_twitter(store, fake, sleep=slept.append)
    assert report.ok
    assert slept == [121.0]
    assert store.score_of(A).total == 10


def test_twitter_429_with_a_far_reset_fails_for_this_run() -> None:
    store = Store.memory()
    slept: list[float] = []
    reset = int(NOW.timestamp()) + 7200
    limited = json_answer({"title": "Too Many Requests"}, 429, {"x-rate-limit-reset": str(reset)})
    with serve() as fake:
        fake.route("/2/tweets/search/recent", limited)
        report = run_twitter(store, fake, sleep=slept.append)
    assert not report.ok and "rate limit" in report.error
    assert slept == []


def test_twitter_refreshes_counters_of_young_posts() -> None:
    store = Store.memory()
    with serve() as fake:
        twitter_fake(fake)
        run_twitter(store, fake)
        fake.route("/2/tweets/search/recent", json_answer({"meta": {"result_count": 0}}))
        fake.route("/2/tweets", json_answer(data_file("twitter_lookup_refreshed.json")))
        report = run_twitter(store, fake)
    assert report.ok
    lookup = fake.requests("/2/tweets")[0]
    assert "1379000000000001001" in (lookup.param("ids") or "")
    # alice's post now has 30 reposts + 200 likes, replacing (not adding to) the old counters
    assert store.score_of(A).total == 230 + 10


def test_twitter_recorded_pages_parse() -> None:
    recorded = json.loads(
        (FIXTURES / "twitter/test_client_search_recent_tweets.body.json").read_text()
    )
    found, problems = parse_page(recorded)
    assert found == [] and problems == []  # ten tweets about tweepy: none links arXiv
    retweet_page = data_file("twitter_two_tweets_arxiv.json")
    found, problems = parse_page(retweet_page)
    by_repost = {o.is_repost: o for o in found}
    assert by_repost[True].account == "lachiveronica" and by_repost[True].reposts == 0
    assert by_repost[False].account == "bibaigna96" and by_repost[False].reposts == 1


def test_twitter_recorded_search_through_tweepy() -> None:
    store = Store.memory()
    recorded = (FIXTURES / "twitter/test_client_search_recent_tweets.body.json").read_bytes()
    with serve() as fake:
        fake.route("/2/tweets/search/recent", raw_answer(recorded))
        report = run_twitter(store, fake, refresh_hours=0)
    assert report.ok and report.observations == 0
    assert store.get_cursor(cursor_name("twitter")) == "1578516068309794817"


def test_twitter_truncated_json_fails_the_run_and_keeps_the_cursor() -> None:
    store = Store.memory()
    store.set_cursor(cursor_name("twitter"), "1")
    body = json.dumps(data_file("twitter_search_page1.json"))[:500]
    with serve() as fake:
        fake.route("/2/tweets/search/recent", raw_answer(body))
        report = run_twitter(store, fake)
    assert not report.ok
    assert store.get_cursor(cursor_name("twitter")) == "1"


def test_twitter_without_a_token_says_which_variable() -> None:
    report = ingest_source(Store.memory(), "twitter", TwitterConfig(), None, env={})
    assert not report.ok and "X_BEARER_TOKEN" in report.error


# -- Bluesky (atproto) ------------------------------------------------------------------------


def _jwt(claims: dict[str, Any]) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


# an unsigned test token that expires in 2100, so the client never tries to refresh it
ACCESS_JWT = _jwt({"scope": "com.atproto.access", "sub": "did:plc:hotpapersbot", "exp": 4102444800})


def bluesky_fake(fake: Fake) -> None:
    def search(seen: Seen) -> Answer:
        if seen.param("cursor") == "c2":
            return json_answer(data_file("bluesky_search_page2.json"))
        return json_answer(data_file("bluesky_search_page1.json"))

    fake.route("/xrpc/app.bsky.feed.searchPosts", search)
    fake.route(
        "/xrpc/com.atproto.server.createSession",
        json_answer(
            {
                "did": "did:plc:hotpapersbot",
                "handle": "hotpapers.bsky.social",
                "accessJwt": ACCESS_JWT,
                "refreshJwt": ACCESS_JWT,
                "active": True,
            }
        ),
    )


def run_bluesky(store: Store, fake: Fake, env: dict[str, str] | None = None) -> Any:
    return ingest_source(
        store,
        "bluesky",
        BlueskyConfig(base_url=fake.url),
        None,
        env=env or {},
        clock=clock,
        sleep=lambda _s: None,
    )


def test_bluesky_search_posts_with_domain_filter() -> None:
    store = Store.memory()
    with serve() as fake:
        bluesky_fake(fake)
        report = run_bluesky(store, fake)
    assert report.ok, report
    first = fake.requests("/xrpc/app.bsky.feed.searchPosts")[0]
    assert first.param("domain") == "arxiv.org" and first.param("sort") == "latest"
    assert first.param("since") == "2021-04-04T18:00:00.000Z"  # the refresh window
    assert fake.requests("/xrpc/app.bsky.feed.searchPosts")[1].param("cursor") == "c2"
    # alice twice (52 and 2): her best counts once
    a = part(store, A, "bluesky")
    assert (a.posts, a.accounts, a.reposts, a.likes, a.replies, a.quotes) == (1, 1, 12, 40, 3, 1)
    assert store.score_of(B).total == 6  # linked only from an external embed
    assert store.score_of(C).total == 0  # wrong-typed counters count 0, the post is kept
    assert part(store, C, "bluesky").posts == 1
    assert len(report.problems) == 1  # the post without an author
    assert store.get_cursor(cursor_name("bluesky")) == "2021-04-05T14:00:00Z"


def test_bluesky_display_text_expands_facets_by_utf8_bytes() -> None:
    store = Store.memory()
    with serve() as fake:
        bluesky_fake(fake)
        run_bluesky(store, fake)
    shown = store.top_posts(A)[0]
    assert shown.text == "🚀 Neue Arbeit über Sehen: https://arxiv.org/abs/2104.00743 ✨"
    assert shown.url == "https://bsky.app/profile/alice.bsky.social/post/3kaaa1"
    assert shown.author_name == "Alice 🦋"


def test_bluesky_logs_in_with_an_app_password() -> None:
    store = Store.memory()
    env = {"BSKY_HANDLE": "hotpapers.bsky.social", "BSKY_APP_PASSWORD": "xxxx-xxxx"}
    with serve() as fake:
        bluesky_fake(fake)
        report = run_bluesky(store, fake, env)
    assert report.ok
    assert len(fake.requests("/xrpc/com.atproto.server.createSession")) == 1
    assert fake.requests("/xrpc/app.bsky.feed.searchPosts")[0].headers["authorization"] == (
        f"Bearer {ACCESS_JWT}"
    )


def test_bluesky_truncated_page_fails_the_run() -> None:
    store = Store.memory()
    body = json.dumps(data_file("bluesky_search_page1.json"))[:300]
    with serve() as fake:
        fake.route("/xrpc/app.bsky.feed.searchPosts", raw_answer(body))
        report = run_bluesky(store, fake)
    assert not report.ok
    assert store.count("observations") == 0


def test_bluesky_recorded_jetstream_facets() -> None:
    lines = (FIXTURES / "bluesky/expected_v1.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line).get("commit", {}).get("record", {}) for line in lines]
    linked = [r for r in records if facet_links(r)]
    assert len(linked) == 4
    youtube = next(r for r in linked if "youtube" in r["text"])
    assert expand_links(youtube["text"], facet_links(youtube)) == (
        "https://www.youtube.com/watch?v=V5lDo-jw8mA"
    )
    czech = next(r for r in linked if "denikn" in r["text"])  # non-ASCII text after the link
    expanded = expand_links(czech["text"], facet_links(czech))
    assert expanded.startswith("https://denikn.cz/2113523")
    assert expanded[len("https://denikn.cz/2113523") :] == czech["text"][len("denikn.cz/2113523") :]


def test_bluesky_recorded_post_view_is_parsed_and_ignored() -> None:
    recorded = json.loads((FIXTURES / "bluesky/thread_view_post_with_embed_media.json").read_text())
    found, cursor, problems = parse_search({"posts": [recorded["thread"]["post"]]})
    assert (found, cursor, problems) == ([], None, [])


# -- Mastodon (Mastodon.py) -------------------------------------------------------------------


def mastodon_fake(fake: Fake) -> None:
    def tag(seen: Seen) -> Answer:
        if seen.param("max_id") == "110000000000000002":
            return json_answer(data_file("mastodon_tag_page2.json"))
        since = seen.param("since_id")
        if since == "110000000000000005":
            return json_answer([])
        link = '<{base}/api/v1/timelines/tag/arxiv?max_id=110000000000000002>; rel="next"'
        return json_answer(data_file("mastodon_tag_page1.json"), headers={"Link": link})

    fake.route("/api/v1/timelines/tag/arxiv", tag)


def run_mastodon(store: Store, fake: Fake) -> Any:
    cfg = MastodonConfig(instances=(MastodonInstance(fake.url),), hashtags=("arxiv",))
    return ingest_source(store, "mastodon", cfg, None, env={}, sleep=lambda _s: None)


def test_mastodon_hashtag_timeline_reblogs_add_nothing() -> None:
    store = Store.memory()
    with serve() as fake:
        mastodon_fake(fake)
        report = run_mastodon(store, fake)
    assert report.ok, report
    a = part(store, A, "mastodon")
    # ana's status (4 reblogs + 9 favourites); ben's reblog of it is not a post of its own
    assert (a.posts, a.accounts, a.reposts, a.likes, a.replies) == (1, 1, 4, 9, 1)
    assert store.score_of(B).total == 2
    assert store.score_of(C).total == 1  # from the second page (Link: rel="next")
    assert len(report.problems) == 1  # the status without an account
    shown = store.top_posts(A)[0]
    assert shown.author_handle == "ana@mastodon.example"
    assert "https://arxiv.org/abs/2104.00743" in shown.text
    assert shown.url == "https://mastodon.example/@ana/110000000000000003"
    cursor = json.loads(store.get_cursor(cursor_name("mastodon")) or "{}")
    # the newest status seen (the broken one, skipped) is where the next run starts
    assert cursor == {f"{fake.url} tag:arxiv": "110000000000000005"}


def test_mastodon_second_run_asks_since_the_newest_status() -> None:
    store = Store.memory()
    with serve() as fake:
        mastodon_fake(fake)
        run_mastodon(store, fake)
        fake.seen.clear()
        report = run_mastodon(store, fake)
    assert report.ok and report.observations == 0
    assert fake.requests("/api/v1/timelines/tag/arxiv")[0].param("since_id") == (
        "110000000000000005"
    )


def test_mastodon_reposts_count_nothing_even_when_reposts_are_posts() -> None:
    store = Store.memory(ScoringConfig(reposts_are_posts=True))
    with serve() as fake:
        mastodon_fake(fake)
        run_mastodon(store, fake)
    assert store.score_of(A).total == 13  # the reblog row carries no counters of its own


def test_mastodon_instance_down_fails_the_source() -> None:
    store = Store.memory()
    with serve() as fake:
        fake.route("/api/v1/timelines/tag/arxiv", raw_answer("{", 502))
        report = run_mastodon(store, fake)
    assert not report.ok


# -- Hacker News (Algolia) --------------------------------------------------------------------


def hn_fake(fake: Fake, second: Answer | None = None) -> None:
    def search(seen: Seen) -> Answer:
        if seen.param("page") == "1":
            return second or json_answer(data_file("hackernews_page1.json"))
        return json_answer(data_file("hackernews_page0.json"))

    fake.route("/api/v1/search_by_date", search)


def run_hn(store: Store, fake: Fake) -> Any:
    cfg = HackerNewsConfig(base_url=f"{fake.url}/api/v1")
    return ingest_source(store, "hackernews", cfg, None, clock=clock, sleep=lambda _s: None)


def test_hackernews_points_are_likes_and_comments_replies() -> None:
    store = Store.memory()
    with serve() as fake:
        hn_fake(fake)
        report = run_hn(store, fake)
    assert report.ok
    first = fake.requests("/api/v1/search_by_date")[0]
    assert first.param("query") == "arxiv.org" and first.param("tags") == "story"
    since = int((NOW - timedelta(hours=48)).timestamp())
    assert first.param("numericFilters") == f"created_at_i>{since}"
    a = part(store, A, "hackernews")
    assert (a.likes, a.replies, a.posts) == (120, 45, 1)
    assert store.score_of(B).total == 8
    assert store.score_of(C).total == 30  # an Ask HN whose text links the paper
    assert len(report.problems) == 1
    assert store.top_posts(A)[0].url == "https://news.ycombinator.com/item?id=26700001"
    assert store.get_cursor(cursor_name("hackernews")) == "1617631200"


def test_hackernews_truncated_second_page_keeps_the_first() -> None:
    store = Store.memory()
    with serve() as fake:
        hn_fake(fake, raw_answer('{"hits": [{"objectID": "1", "url": "https://arx'))
        report = run_hn(store, fake)
    assert report.ok
    assert store.score_of(A).total == 120
    assert store.get_cursor(cursor_name("hackernews")) is None  # re-read next time
    assert any("page 2" in p for p in report.problems)


# -- Hugging Face daily papers ----------------------------------------------------------------


def test_huggingface_upvotes_are_an_aggregate() -> None:
    store = Store.memory()
    with serve() as fake:

        def daily(seen: Seen) -> Answer:
            day = seen.param("date")
            path = Path(__file__).parents[1] / "data" / "attention" / f"huggingface_{day}.json"
            return raw_answer(path.read_bytes()) if path.exists() else json_answer([])

        fake.route("/api/daily_papers", daily)
        report = ingest_source(
            store,
            "huggingface",
            HuggingFaceConfig(base_url=fake.url, days=2),
            None,
            clock=clock,
        )
    assert report.ok
    assert [s.param("date") for s in fake.requests("/api/daily_papers")] == [
        "2021-04-05",
        "2021-04-04",
    ]
    a = part(store, A, "huggingface")
    assert (a.likes, a.replies, a.posts) == (31, 4, 0)  # the newest day's counters
    assert store.score_of(B).total == 5
    assert len(report.problems) == 2
    row = store.conn.execute(
        "SELECT key, kind FROM observations WHERE source = 'huggingface' AND paper_id = ?", (A,)
    ).fetchone()
    assert row == ("hf:2104.00743", "aggregate")


# -- counting rules through real ingest ------------------------------------------------------


def test_blocklisted_and_own_accounts_add_nothing() -> None:
    store = Store.memory(ScoringConfig(excluded_accounts=frozenset({"alice", "hotpapers"})))
    with serve() as fake:
        twitter_fake(fake)
        run_twitter(store, fake)
    assert store.score_of(A).total == 10  # erin only
    assert all(p.author_handle.lower() != "alice" for p in store.top_posts(A))


def test_source_weights_change_ranks() -> None:
    def ranking(weights: dict[str, float]) -> list[str]:
        store = Store.memory(ScoringConfig(source_weights=weights))
        with serve() as fake:
            bluesky_fake(fake)
            hn_fake(fake)
            run_bluesky(store, fake)
            run_hn(store, fake)
        return sorted([B, C], key=lambda i: (-store.score_of(i).total, i))

    # B: Bluesky 6, HN 8; C: Bluesky 0, HN 30
    assert ranking({}) == [C, B]
    assert ranking({"hackernews": 0.1}) == [B, C]
    assert ranking({"bluesky": 10.0}) == [B, C]


def test_a_failing_source_does_not_stop_the_others() -> None:
    store = Store.memory()
    with serve() as fake:
        fake.route("/2/tweets/search/recent", json_answer({"title": "Forbidden"}, 403))
        hn_fake(fake)
        reports = [run_twitter(store, fake), run_hn(store, fake)]
    assert [r.ok for r in reports] == [False, True]
    assert store.score_of(A).total == 120


def test_unknown_papers_are_looked_up_and_a_failing_lookup_is_reported() -> None:
    store = Store.memory()

    def broken(ids: Any) -> None:
        raise RuntimeError("arXiv is down")

    class One:
        name = "one"

        def fetch(self, store: Store) -> FetchResult:
            return FetchResult((post(A, "k1", "ann"),), cursor="7")

    report = run_source(store, One(), broken)
    assert report.ok and store.get_cursor(cursor_name("one")) == "7"
    assert any("arXiv is down" in p for p in report.problems)
    lookups = Lookups()
    run_source(store, One(), lookups)
    assert lookups.calls == [[A]]  # still untitled: asked again


def test_a_crashing_source_is_reported_not_raised() -> None:
    class Crash:
        name = "crash"

        def fetch(self, store: Store) -> FetchResult:
            raise KeyError("surprise")

    report = run_source(Store.memory(), Crash(), None)
    assert not report.ok and "KeyError" in report.error


# -- feed bots --------------------------------------------------------------------------------


def _bot_day(n: int, account: str = "feedbot") -> list[Observation]:
    when = datetime(2021, 4, 5, 9, 0, tzinfo=UTC)
    return [
        post(f"2104.{i:05d}", f"{account}-{i}", account, 1, 3, when=when + timedelta(minutes=i))
        for i in range(1, n + 1)
    ]


def test_feed_bot_days_count_distinct_papers_per_account_and_day() -> None:
    rule = FeedBotRule(max_links_per_day=3)
    batch = [*_bot_day(3), *_bot_day(2, "person")]
    assert feed_bot_days(batch, {}, rule) == set()
    stored = {("bluesky", "feedbot", datetime(2021, 4, 5).date()): frozenset({"2104.09999"})}
    assert feed_bot_days(batch, stored, rule) == {("bluesky", "feedbot", NOW.date())}
    same_paper = [post(A, f"k{i}", "fan", 1, 1) for i in range(10)]
    assert feed_bot_days(same_paper, {}, rule) == set()
    assert feed_bot_days(_bot_day(9), {}, FeedBotRule(enabled=False)) == set()


def test_feed_bot_posts_weigh_less_and_it_changes_ranks() -> None:
    rule = FeedBotRule(max_links_per_day=3, weight=0.25)
    store = Store.memory(ScoringConfig(feed_bots=rule))

    class Batch:
        name = "bluesky"

        def __init__(self, observations: list[Observation]) -> None:
            self.observations = observations

        def fetch(self, store: Store) -> FetchResult:
            return FetchResult(tuple(self.observations))

    # a person's post (2 likes) and the bot's post of another paper (4) before the bot is known
    person = post(B, "p1", "person", 0, 2)
    run_source(store, Batch([person, *_bot_day(1)]), None)
    assert store.score_of("2104.00001").total == 4 > store.score_of(B).total
    # the bot posts three more papers that day: all its posts of the day weigh 0.25, earlier too
    run_source(store, Batch(_bot_day(4)[1:]), None)
    assert store.score_of("2104.00001").total == 1.0 < store.score_of(B).total


# -- configuration ---------------------------------------------------------------------------


def test_config_from_mapping_names_the_key() -> None:
    cfg = from_mapping(
        "mastodon",
        {
            "instances": [
                "https://a.example",
                {"url": "https://b.example", "access_token_env": "B_TOKEN"},
            ],
            "hashtags": ["#arxiv", "ml"],
        },
        "c.toml",
    )
    assert isinstance(cfg, MastodonConfig)
    assert cfg.instances[1] == MastodonInstance("https://b.example", "B_TOKEN")
    assert cfg.hashtags == ("arxiv", "ml")
    with pytest.raises(ConfigError, match=r"c.toml: \[sources.twitter\] page_size"):
        from_mapping("twitter", {"page_size": 5}, "c.toml")
    with pytest.raises(ConfigError, match=r"\[sources.bluesky\] unknown key 'handle'"):
        from_mapping("bluesky", {"handle": "me"}, "c.toml")
    with pytest.raises(ConfigError, match=r"\[sources.hackernews\] base_url"):
        from_mapping("hackernews", {"base_url": "ftp://x"}, "c.toml")
    with pytest.raises(ConfigError, match=r"bearer_token_env: expected the NAME"):
        from_mapping("twitter", {"bearer_token_env": "AAAA-secret-value!"}, "c.toml")


def test_disabled_source_does_nothing() -> None:
    report = ingest_source(Store.memory(), "hackernews", {"enabled": False}, None)
    assert report.ok and report.observations == 0


# -- command line ----------------------------------------------------------------------------


def test_cli_ingest_hackernews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli.ingest import ingest
    from bot.sources.attention import ingest as ingest_module

    lookups = Lookups()
    monkeypatch.setattr(ingest_module, "arxiv_lookup_from_config", lambda store, table: lookups)

    with serve() as fake:
        hn_fake(fake)
        config = tmp_path / "config.toml"
        config.write_text(
            f'[sources.hackernews]\nbase_url = "{fake.url}/api/v1"\n',
            encoding="utf-8",
        )
        db = tmp_path / "hp.db"
        result = CliRunner().invoke(
            ingest, ["hackernews", "--config", str(config), "--db", str(db)]
        )
    assert result.exit_code == 0, result.output
    assert "hackernews: 3 observations, 3 papers looked up, 1 skipped" in result.output
    assert lookups.calls == [sorted([A, B, C])]
    store = Store.open(db)
    assert store.score_of(A).total == 120
    store.close()
