"""The arXiv source against a fake arXiv on 127.0.0.1: recorded API answers, RSS and OAI-PMH payloads."""

from __future__ import annotations

import io
import itertools
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from rich.progress import Progress

from bot.domain.errors import ConfigError
from bot.domain.models import Paper
from bot.sources.arxiv.api import parse_api_feed
from bot.sources.arxiv.client import ArxivClient
from bot.sources.arxiv.config import ArxivSourceConfig, from_mapping
from bot.sources.arxiv.http import user_agent
from bot.sources.arxiv.ingest import backfill, ingest_listings, lookup_papers, run_ingest
from bot.sources.arxiv.limiter import ArxivLimiter
from bot.sources.arxiv.oaipmh import set_spec
from bot.store import Store
from tests.fakes.arxiv_fake import (
    Answer,
    FakeArxiv,
    FakeClock,
    Item,
    api_feed,
    arxiv_raw_record,
    arxiv_record,
    deleted_record,
    fixture_path,
    oai_page,
    recorded,
    rss_feed,
)

ET = ZoneInfo("America/New_York")
TUESDAY = "Tue, 03 Mar 2026 00:00:00 -0500"
MONDAY = "Mon, 02 Mar 2026 00:00:00 -0500"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(clock: FakeClock) -> ArxivLimiter:
    return ArxivLimiter(clock=clock, sleep=clock.sleep)


@pytest.fixture
def fake(clock: FakeClock, limiter: ArxivLimiter) -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.clock = clock
        server.limiter_busy = lambda: limiter.busy
        yield server


def make_client(fake: FakeArxiv, limiter: ArxivLimiter, clock: FakeClock) -> ArxivClient:
    config = from_mapping(
        {
            "categories": ["cs.CV", "cs.LG"],
            "user_agent_email": "bot@example.org",
            "base_urls": fake.base_urls(),
            "timeout_seconds": 10,
        },
        "test.toml [sources.arxiv]",
    )
    return ArxivClient.from_config(config, limiter=limiter, sleep=clock.sleep)


@pytest.fixture
def client(fake: FakeArxiv, limiter: ArxivLimiter, clock: FakeClock) -> Iterator[ArxivClient]:
    with make_client(fake, limiter, clock) as made:
        yield made


@pytest.fixture
def store() -> Iterator[Store]:
    made = Store.memory()
    yield made
    made.close()


def gaps(times: list[float | None]) -> list[float]:
    known = sorted(t for t in times if t is not None)
    return [b - a for a, b in itertools.pairwise(known)]


# -- API lookups ---------------------------------------------------------------------------


def test_lookup_stores_recorded_papers_with_listing_dates(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    report = lookup_papers(
        store, client, ["https://arxiv.org/abs/1707.08567v1", "arXiv:2202.12139"]
    )
    assert report.stored == 2 and report.missing == () and report.problems == ()
    paper = store.get_paper("1707.08567")
    assert paper is not None
    assert paper.title.startswith("Proceedings of Workshop AEW10")
    assert paper.authors[0] == "Kees A. Schouhamer Immink" and "Dirk Wübben" in paper.authors
    assert paper.categories == ("cs.IT",) and paper.version == 1
    # Submitted Thursday 2017-07-27 04:18 EDT, before the cutoff: announced that evening.
    assert paper.listing_date == date(2017, 7, 28)
    other = store.get_paper("2202.12139")
    assert other is not None and other.primary_category == "cs.SE" and "cs.LG" in other.categories
    (request,) = fake.requests_to("/api/query")
    assert set(request.query["id_list"].split(",")) == {"1707.08567", "2202.12139"}
    assert request.headers["user-agent"] == user_agent("bot@example.org")
    assert (
        "hotpapers/" in request.headers["user-agent"]
        and "mailto:bot@example.org" in request.headers["user-agent"]
    )


def test_lookup_skips_ids_the_store_knows(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    store.upsert_papers([Paper("1707.08567", "Known")])
    report = lookup_papers(store, client, ["1707.08567"])
    assert report.already_known == 1 and fake.requests_to("/api/query") == []


def test_old_format_recorded_answer_is_cleaned(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    lookup_papers(store, client, ["1111.2011v2"])
    paper = store.get_paper("1111.2011")
    assert paper is not None
    assert paper.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert paper.categories == ("cond-mat.str-el", "cond-mat.stat-mech")
    assert "\n" not in paper.abstract and paper.version == 2


def test_recorded_two_id_answer_drops_the_invalid_id() -> None:
    page = parse_api_feed(
        fixture_path("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml").read_bytes()
    )
    assert [p.arxiv_id for p in page.papers] == ["1707.08567"] and page.total_results == 1


def test_batches_hold_at_most_100_ids(fake: FakeArxiv, client: ArxivClient, store: Store) -> None:
    ids = [f"2101.{n:05d}" for n in range(1, 251)]
    report = lookup_papers(store, client, ids)
    sizes = [len(s.query["id_list"].split(",")) for s in fake.requests_to("/api/query")]
    assert sizes == [100, 100, 50]
    assert len(report.missing) == 250 and report.stored == 0


def test_error_feed_is_logged_and_skipped(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/api/query", recorded("id_abc_s0_m100_b79c8dcf6bc3.json"))
    report = lookup_papers(store, client, ["2101.00001", "abc"])
    assert report.missing == ("2101.00001",)
    assert any("incorrect id format for abc" in p for p in report.problems)
    assert any("not an arXiv id: 'abc'" in p for p in report.problems)
    assert len(fake.requests_to("/api/query")) == 1  # a 400 answer is read, not retried
    assert store.get_paper("2101.00001") is None


def test_recorded_empty_answer_reports_missing(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/api/query", recorded("id_0000.0000_s0_m100_8b51d9633a68.json"))
    report = lookup_papers(store, client, ["2101.00002"])
    assert report.missing == ("2101.00002",) and report.problems == ()
    assert len(fake.requests_to("/api/query")) == 1  # totalResults 0: a real answer, not retried


def test_empty_pages_are_retried(
    fake: FakeArxiv, client: ArxivClient, store: Store, clock: FakeClock
) -> None:
    counted_but_empty = api_feed([]).replace(
        b"<opensearch:totalResults>0<", b"<opensearch:totalResults>1<"
    )
    fake.queue("/api/query", Answer(200, b""), Answer(200, counted_but_empty))
    report = lookup_papers(store, client, ["1707.08567"])
    assert report.stored == 1 and report.missing == ()
    seen = fake.requests_to("/api/query")
    assert len(seen) == 3 and all(g >= 3.0 for g in gaps([s.at for s in seen]))


def test_503_then_success_honours_retry_after(
    fake: FakeArxiv, client: ArxivClient, store: Store, clock: FakeClock
) -> None:
    fake.queue("/api/query", Answer(503, b"busy", {"Retry-After": "17"}, "text/plain"))
    report = lookup_papers(store, client, ["1707.08567"])
    assert report.stored == 1
    assert 17 in clock.sleeps
    seen = fake.requests_to("/api/query")
    assert len(seen) == 2 and gaps([s.at for s in seen])[0] >= 17


def test_persistent_503_gives_up_after_bounded_attempts(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/api/query", *[Answer(503, b"busy", content_type="text/plain")] * 10)
    report = lookup_papers(store, client, ["1707.08567"])
    assert report.missing == ("1707.08567",)
    assert any("HTTP 503" in p for p in report.problems)
    assert len(fake.requests_to("/api/query")) == 4


def test_malformed_entry_is_skipped_and_the_rest_kept(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    good = fixture_path("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml").read_bytes()
    entry = good[good.index(b"<entry>") : good.index(b"</entry>") + len(b"</entry>")]
    untitled = entry.replace(b"1707.08567", b"2101.00003").replace(
        b"<title>Proceedings of Workshop AEW10: Concepts in Information Theory and Communications</title>",
        b"<title></title>",
    )
    fake.queue("/api/query", Answer(200, api_feed([untitled, entry])))
    report = lookup_papers(store, client, ["1707.08567", "2101.00003"])
    assert store.get_paper("1707.08567") is not None and store.get_paper("2101.00003") is None
    assert report.missing == ("2101.00003",)
    assert any("2101.00003 has no title" in p for p in report.problems)


def test_truncated_answer_keeps_the_whole_entries(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    body = (fixture_path("q_testing_s0_m10_bc5a6c384fe9.atom.xml")).read_bytes()
    cut = body[
        : body.index(b"<entry>", body.index(b"<entry>", body.index(b"<entry>") + 1) + 1) + 200
    ]
    fake.queue("/api/query", Answer(200, cut))
    page = parse_api_feed(cut)
    first_two = [p.arxiv_id for p in page.papers]
    assert len(first_two) == 2
    report = lookup_papers(store, client, first_two)
    assert report.stored == 2 and any("not well-formed" in p for p in report.problems)


# -- the limiter ---------------------------------------------------------------------------


def test_back_to_back_lookups_are_three_seconds_apart(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    lookup_papers(store, client, ["1707.08567"])
    lookup_papers(store, client, ["2202.12139"])
    seen = fake.requests_to("/api/query")
    assert len(seen) == 2
    assert gaps([s.at for s in seen]) == [pytest.approx(3.0)]
    assert all(s.limiter_busy for s in seen)


def test_one_connection_at_a_time_across_clients_and_threads(
    fake: FakeArxiv, limiter: ArxivLimiter, clock: FakeClock
) -> None:
    fake.routes["/rss/"] = lambda path, query: Answer(
        200, rss_feed("cs.CV", TUESDAY, [Item("2603.00001v1")])
    )
    clients = [make_client(fake, limiter, clock) for _ in range(4)]
    start = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def work(c: ArxivClient) -> None:
        try:
            start.wait()
            c.lookup(["1707.08567"])
            c.rss(["cs.CV"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for c in clients:
        c.close()
    assert errors == []
    assert len(fake.seen) == 8
    assert fake.max_active == 1
    assert all(s.limiter_busy for s in fake.seen)
    assert all(g >= 3.0 for g in gaps([s.at for s in fake.seen]))


# -- RSS listings --------------------------------------------------------------------------


def listing_items() -> list[Item]:
    return [
        Item("2603.00001v1", "new", "Fresh & new", ("cs.CV", "cs.LG")),
        Item("2603.00002v1", "cross", "Crossed", ("cs.RO", "cs.NA")),
        Item("2501.00003v2", "replace", "Replaced title", ("cs.CV",)),
        Item("2502.00004v3", "replace-cross", "Replaced cross", ("math.OC", "cs.LG")),
        Item("2603.00005v1", "new", "No id", with_guid=False),
    ]


def test_rss_listing_dates_new_and_cross_but_not_replacements(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    store.upsert_papers(
        [Paper("2501.00003", "Old title", listing_date=date(2025, 1, 6), version=1)]
    )
    fake.queue("/rss/", Answer(200, rss_feed("cs.CV+cs.LG", TUESDAY, listing_items())))
    now = datetime(2026, 3, 3, 9, 0, tzinfo=ET)
    report = ingest_listings(store, client, ["cs.CV", "cs.LG"], now)
    assert report.status == "ingested" and report.listing_date == date(2026, 3, 3)
    assert fake.requests_to("/rss/")[0].path == "/rss/cs.CV+cs.LG"
    new = store.get_paper("2603.00001")
    assert new is not None and new.listing_date == date(2026, 3, 3)
    assert new.title == "Fresh & new" and new.authors == ("Ada Lovelace", "Alan Turing")
    assert new.abstract == "We show things." and new.categories == ("cs.CV", "cs.LG")
    crossed = store.get_paper("2603.00002")
    assert crossed is not None and crossed.listing_date == date(2026, 3, 3)
    assert crossed.categories == ("cs.RO", "math.NA")  # the alias made canonical
    replaced = store.get_paper("2501.00003")
    assert replaced is not None and replaced.listing_date == date(2025, 1, 6)
    assert replaced.title == "Replaced title" and replaced.version == 2
    unseen = store.get_paper("2502.00004")
    assert unseen is not None and unseen.listing_date is None and unseen.version == 3
    assert store.get_paper("2603.00005") is None
    assert any("without an arXiv id" in p for p in report.problems)
    assert report.new == 3 and report.listed == 2

    again = ingest_listings(
        store, client, ["cs.LG", "cs.CV"], datetime(2026, 3, 3, 15, 0, tzinfo=ET)
    )
    assert again.status == "up-to-date" and len(fake.requests_to("/rss/")) == 1


def test_stale_feed_records_nothing_and_the_next_run_does(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue(
        "/rss/",
        Answer(200, rss_feed("cs.CV", MONDAY, [Item("2603.00009v1")])),
        Answer(200, rss_feed("cs.CV", TUESDAY, [Item("2603.00010v1")])),
    )
    now = datetime(2026, 3, 3, 0, 20, tzinfo=ET)  # just after midnight: the feed is not rebuilt yet
    stale = ingest_listings(store, client, ["cs.CV"], now)
    assert stale.status == "stale" and not stale.ok
    assert stale.listing_date == date(2026, 3, 2) and stale.expected == date(2026, 3, 3)
    assert store.known_ids(["2603.00009"]) == set()
    fresh = ingest_listings(store, client, ["cs.CV"], now)
    assert fresh.status == "ingested"
    paper = store.get_paper("2603.00010")
    assert paper is not None and paper.listing_date == date(2026, 3, 3)


def test_evening_before_midnight_the_previous_listing_is_not_stale(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/rss/", Answer(200, rss_feed("cs.CV", MONDAY, [Item("2603.00011v1")])))
    report = ingest_listings(store, client, ["cs.CV"], datetime(2026, 3, 2, 21, 0, tzinfo=ET))
    assert report.status == "ingested" and report.listing_date == date(2026, 3, 2)


def test_truncated_feed_keeps_whole_items_and_is_fetched_again(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    body = rss_feed(
        "cs.CV", TUESDAY, [Item("2603.00021v1"), Item("2603.00022v1"), Item("2603.00023v1")]
    )
    cut = body[: body.index(b"2603.00023v1</guid>")]
    fake.queue("/rss/", Answer(200, cut), Answer(200, body))
    now = datetime(2026, 3, 3, 9, 0, tzinfo=ET)
    first = ingest_listings(store, client, ["cs.CV"], now)
    assert first.status == "ingested"
    assert store.known_ids(["2603.00021", "2603.00022", "2603.00023"]) == {
        "2603.00021",
        "2603.00022",
    }
    assert any("ends early" in p for p in first.problems)
    second = ingest_listings(store, client, ["cs.CV"], now)
    assert second.status == "ingested" and store.get_paper("2603.00023") is not None


def test_empty_weekend_feed_is_quiet(fake: FakeArxiv, client: ArxivClient, store: Store) -> None:
    fake.queue("/rss/", Answer(200, rss_feed("cs.CV", "Sat, 07 Mar 2026 00:00:00 -0500", [])))
    report = ingest_listings(store, client, ["cs.CV"], datetime(2026, 3, 7, 12, 0, tzinfo=ET))
    assert report.status == "quiet" and report.ok and report.papers == 0


def test_rss_outage_is_a_failed_report_not_an_exception(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/rss/", *[Answer(503, b"down", content_type="text/plain")] * 4)
    report = ingest_listings(store, client, ["cs.CV"], datetime(2026, 3, 3, 9, 0, tzinfo=ET))
    assert report.status == "failed" and "503" in report.problems[0]


# -- OAI-PMH backfill ----------------------------------------------------------------------


def test_backfill_token_chain_interrupted_then_resumed(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue(
        "/oai",
        Answer(
            200,
            oai_page(
                [arxiv_record("2603.00031", "2026-03-02"), deleted_record("2603.00032")], "t1"
            ),
        ),
        *[Answer(503, b"", {"Retry-After": "5"}, "text/plain")] * 4,
    )
    first = backfill(store, client, date(2026, 3, 1), None, ["cs.CV"])
    assert not first.complete and first.papers == 1 and first.deleted == 1
    assert any("run again to resume" in p for p in first.problems)
    paper = store.get_paper("2603.00031")
    assert paper is not None and paper.authors == ("Ada Lovelace", "Alan Turing")
    assert paper.abstract == "We harvest things." and paper.categories == ("cs.CV", "cs.LG")
    assert paper.listing_date == date(2026, 3, 4)  # a date alone: the latest listing it can make
    assert json.loads(store.get_cursor("arxiv:oai:cs:cs:CV:arXiv") or "{}")["token"] == "t1"
    start = fake.requests_to("/oai")[0].query
    assert start == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "cs:cs:CV",
        "from": "2026-03-01",
    }

    fake.queue(
        "/oai",
        Answer(200, oai_page([arxiv_record("2603.00033", "2026-03-03")], "t2")),
        Answer(200, oai_page([arxiv_record("2603.00034", "2026-03-04", datestamp="2026-03-05")])),
    )
    before = len(fake.seen)
    second = backfill(store, client, date(2026, 3, 1), None, ["cs.CV"])
    assert second.complete and second.resumed == ("cs:cs:CV",) and second.papers == 2
    asked = [s.query for s in fake.seen[before:]]
    assert asked == [
        {"verb": "ListRecords", "resumptionToken": "t1"},
        {"verb": "ListRecords", "resumptionToken": "t2"},
    ]
    assert store.known_ids(["2603.00031", "2603.00033", "2603.00034"]) == {
        "2603.00031",
        "2603.00033",
        "2603.00034",
    }
    state = json.loads(store.get_cursor("arxiv:oai:cs:cs:CV:arXiv") or "{}")
    assert state["complete"] and state["token"] is None and state["last_datestamp"] == "2026-03-05"


def test_backfill_cut_off_page_keeps_records_and_the_token(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    whole = oai_page(
        [arxiv_record("2603.00041", "2026-03-02"), arxiv_record("2603.00042", "2026-03-02")], "t2"
    )
    cut = whole[: whole.index(b"2603.00042</id>")]
    fake.queue(
        "/oai",
        Answer(200, oai_page([arxiv_record("2603.00040", "2026-03-02")], "t1")),
        *[Answer(200, cut)] * 4,
    )
    report = backfill(store, client, date(2026, 3, 1), None, ["cs.CV"])
    assert not report.complete and any("not well-formed" in p for p in report.problems)
    assert store.known_ids(["2603.00040", "2603.00041", "2603.00042"]) == {
        "2603.00040",
        "2603.00041",
    }
    assert len(fake.requests_to("/oai")) == 5  # the cut page was retried a bounded number of times
    assert json.loads(store.get_cursor("arxiv:oai:cs:cs:CV:arXiv") or "{}")["token"] == "t1"


def test_expired_token_restarts_from_the_last_datestamp(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    store.set_cursor(
        "arxiv:oai:cs:cs:CV:arXiv",
        json.dumps(
            {"from": "2026-03-01", "until": None, "token": "old", "last_datestamp": "2026-03-03"}
        ),
    )
    fake.queue(
        "/oai",
        Answer(200, oai_page([], error="badResumptionToken")),
        Answer(200, oai_page([arxiv_record("2603.00051", "2026-03-03")])),
    )
    report = backfill(store, client, date(2026, 3, 1), None, ["cs.CV"])
    assert report.complete and report.papers == 1
    asked = [s.query for s in fake.requests_to("/oai")]
    assert asked[0] == {"verb": "ListRecords", "resumptionToken": "old"}
    assert asked[1]["from"] == "2026-03-03" and "resumptionToken" not in asked[1]


def test_no_records_match_is_a_complete_empty_harvest(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    fake.queue("/oai", Answer(200, oai_page([], error="noRecordsMatch")))
    report = backfill(store, client, date(2026, 3, 1), date(2026, 3, 2), ["physics:hep-th"])
    assert report.complete and report.papers == 0 and report.problems == ()
    assert fake.requests_to("/oai")[0].query["until"] == "2026-03-02"


def test_arxiv_raw_gives_exact_listing_dates_and_a_progress_bar(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    # Monday 2026-03-02 19:30 GMT is 14:30 EST: after the cutoff, so listed Wednesday.
    fake.queue(
        "/oai",
        Answer(200, oai_page([arxiv_raw_record("2603.00061", "Mon, 2 Mar 2026 19:30:00 GMT")])),
    )
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        report = backfill(
            store, client, date(2026, 3, 1), None, ["cs.CV"], progress, metadata_prefix="arXivRaw"
        )
    assert report.complete and report.papers == 1
    paper = store.get_paper("2603.00061")
    assert paper is not None and paper.listing_date == date(2026, 3, 4) and paper.version == 2
    assert paper.submitted == datetime(2026, 3, 2, 19, 30, tzinfo=UTC)
    assert paper.authors == ("Ada Lovelace", "Alan Turing", "Grace Hopper")
    (task,) = progress.tasks
    assert task.completed == 1 and task.finished


def test_set_specs_follow_the_group_archive_category_form() -> None:
    assert set_spec("cs.CV") == "cs:cs:CV"
    assert set_spec("cs") == "cs:cs"
    assert set_spec("hep-th") == "physics:hep-th"
    assert set_spec("math.NA") == "math:math:NA"
    assert set_spec("cond-mat.str-el") == "physics:cond-mat:str-el"
    assert set_spec("physics:hep-lat") == "physics:hep-lat"
    assert set_spec("no.such") is None


def test_unknown_set_is_reported(fake: FakeArxiv, client: ArxivClient, store: Store) -> None:
    report = backfill(store, client, date(2026, 3, 1), None, ["nonsense"])
    assert not report.complete and "unknown category or set: 'nonsense'" in report.problems[0]
    assert fake.requests_to("/oai") == []


# -- configuration ---------------------------------------------------------------------------


def test_config_defaults_and_holidays() -> None:
    config = from_mapping({"holidays": ["2027-11-25"], "categories": ["CS.cv", "cs.NA"]})
    assert config == ArxivSourceConfig(
        categories=("cs.CV", "math.NA"), holidays=config.holidays, base_urls=config.base_urls
    )
    assert date(2027, 11, 25) in config.holidays and date(2026, 11, 26) in config.holidays
    assert config.api_url == "https://export.arxiv.org/api/query"
    assert config.oai_url == "https://oaipmh.arxiv.org/oai"


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"categories": []}, "categories"),
        ({"categories": ["cs CV"]}, "categories"),
        ({"interval_minutes": 1}, "interval_minutes"),
        ({"interval_minutes": "hourly"}, "interval_minutes"),
        ({"user_agent_email": "nobody"}, "user_agent_email"),
        ({"base_urls": {"api": "ftp://x"}}, "base_urls.api"),
        ({"base_urls": {"search": "http://x"}}, "base_urls.search"),
        ({"holidays": ["26/11/2026"]}, "holidays"),
        ({"timeout_seconds": 0}, "timeout_seconds"),
        ({"categorys": ["cs.CV"]}, "categorys"),
    ],
)
def test_config_errors_name_the_key(table: dict[str, object], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        from_mapping(table, "bot.toml [sources.arxiv]")
    assert str(err.value).startswith("bot.toml [sources.arxiv]") and key in str(err.value)


def test_run_ingest_summarises_a_backfill_and_a_listing(
    fake: FakeArxiv, client: ArxivClient, store: Store
) -> None:
    config = client.config
    fake.queue("/oai", Answer(200, oai_page([arxiv_record("2603.00071", "2026-03-02")])))
    fake.queue("/rss/", Answer(200, rss_feed("cs.CV", TUESDAY, [Item("2603.00072v1")])))
    ok, text = run_ingest(
        store, config, since=date(2026, 3, 1), categories=["cs.CV"], client=client
    )
    assert ok and "cs:cs:CV" in text and "1 papers" in text and "complete" in text
    ok, text = run_ingest(
        store,
        config,
        categories=["cs.CV"],
        now=datetime(2026, 3, 3, 9, 0, tzinfo=ET),
        client=client,
    )
    assert ok and "arXiv listing 2026-03-03 (ingested): 1 papers, 1 new." in text
