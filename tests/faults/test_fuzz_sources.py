"""Fuzzing every source's payload parser: real payloads mutated (keys dropped, wrong types, huge
strings, unicode, cut bytes) never make a parser raise; it returns what it can and skips the rest."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.sources import bluesky, mastodon, twitter
from bot.domain.models import Observation, Paper
from bot.sources.arxiv.api import parse_api_feed
from bot.sources.arxiv.oaipmh import parse_list_records
from bot.sources.arxiv.rss import parse_feed
from bot.sources.attention import hackernews, huggingface
from tests.conftest import FIXTURES
from tests.fakes.arxiv_fake import (
    Item,
    arxiv_raw_record,
    arxiv_record,
    deleted_record,
    oai_page,
    rss_feed,
)
from tests.fakes.attention_fakes import data_file

NOW = datetime(2021, 4, 5, 18, 0, tzinfo=UTC)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _json(path: str) -> Any:
    return json.loads((FIXTURES / path).read_text(encoding="utf-8"))


def _seeds() -> dict[str, list[Any]]:
    thread = _json("bluesky/thread_view_post_with_embed_media.json")["thread"]["post"]
    return {
        "twitter": [
            data_file("twitter_search_page1.json"),
            _json("twitter/test_client_search_recent_tweets.body.json"),
            data_file("twitter_two_tweets_arxiv.json"),
        ],
        "bluesky": [data_file("bluesky_search_page1.json"), {"posts": [thread], "cursor": "x"}],
        "mastodon": [
            data_file("mastodon_tag_page1.json"),
            [_json("mastodon/test_status_card.status_with_card.json")],
        ],
        "hackernews": [data_file("hackernews_page0.json"), data_file("hackernews_page1.json")],
        "huggingface": [data_file("huggingface_2021-04-05.json")],
    }


SEEDS = _seeds()

# -- JSON payloads -----------------------------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.just("x" * 100_000),
    st.just("\u202e\u200b@everyone <!channel> https://arxiv.org/abs/2104.00743 \U0001f600"),
    st.just("https://arxiv.org/abs/2104.00743v2"),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)


def mutate(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """The value with some of its parts dropped, replaced by any JSON value, or kept."""
    action = data.draw(st.integers(0, 9), label="action")
    if action == 0:
        return data.draw(VALUES, label="replacement")
    if isinstance(value, dict) and depth < 6:
        out: dict[str, Any] = {}
        for key, item in value.items():
            if data.draw(st.integers(0, 7), label="drop") == 0:
                continue
            out[key] = mutate(data, item, depth + 1)
        if data.draw(st.integers(0, 5), label="add") == 0:
            out[data.draw(st.text(max_size=8))] = data.draw(VALUES)
        return out
    if isinstance(value, list) and depth < 6:
        items = [mutate(data, item, depth + 1) for item in value[:30]]
        if data.draw(st.integers(0, 4), label="insert") == 0:
            items.insert(0, data.draw(VALUES))
        return items
    return value


JsonParser = Callable[[Any], list[Observation]]


def _twitter(page: Any) -> list[Observation]:
    return twitter.parse_page(page)[0]


def _bluesky(page: Any) -> list[Observation]:
    return bluesky.parse_search(page)[0]


def _mastodon(page: Any) -> list[Observation]:
    return mastodon.parse_statuses(page, "https://mastodon.social")[0]


def _hackernews(page: Any) -> list[Observation]:
    return hackernews.parse_page(page)[0]


def _huggingface(page: Any) -> list[Observation]:
    return huggingface.parse_day(page, NOW)[0]


JSON_PARSERS: dict[str, JsonParser] = {
    "twitter": _twitter,
    "bluesky": _bluesky,
    "mastodon": _mastodon,
    "hackernews": _hackernews,
    "huggingface": _huggingface,
}


def _valid(found: list[Observation], source: str) -> None:
    assert isinstance(found, list)
    for o in found:
        assert isinstance(o, Observation) and o.source == source
        assert o.arxiv_id and o.key
        assert min(o.reposts, o.likes, o.replies, o.quotes) >= 0


@pytest.mark.parametrize("source", sorted(JSON_PARSERS))
def test_seed_payloads_parse(source: str) -> None:
    for seed in SEEDS[source]:
        _valid(JSON_PARSERS[source](seed), source)


@pytest.mark.parametrize("source", sorted(JSON_PARSERS))
@FUZZ
@given(data=st.data())
def test_json_parsers_never_raise_on_mutated_payloads(source: str, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(SEEDS[source]), label="seed")
    _valid(JSON_PARSERS[source](mutate(data, seed)), source)


@pytest.mark.parametrize("source", sorted(JSON_PARSERS))
@settings(max_examples=40, deadline=None)
@given(payload=VALUES)
def test_json_parsers_never_raise_on_arbitrary_json(source: str, payload: Any) -> None:
    _valid(JSON_PARSERS[source](payload), source)


def test_bluesky_facets_with_any_offsets_never_raise() -> None:
    @settings(max_examples=60, deadline=None)
    @given(text=st.text(max_size=40), starts=st.lists(st.integers(-5, 200), max_size=6))
    def check(text: str, starts: list[int]) -> None:
        links = [(s, s + 3, "https://arxiv.org/abs/2104.00743") for s in starts]
        assert isinstance(bluesky.expand_links(text, links), str)

    check()


# -- XML payloads ------------------------------------------------------------------------------


def _xml_seeds() -> dict[str, list[bytes]]:
    arxiv = FIXTURES / "arxiv"
    return {
        "api": [
            (arxiv / "q_testing_s0_m10_bc5a6c384fe9.atom.xml").read_bytes(),
            (arxiv / "id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.atom.xml").read_bytes(),
            (arxiv / "search_query_au_del_maestro.xml").read_bytes(),
        ],
        "rss": [
            rss_feed(
                "cs.CV",
                "Tue, 03 Mar 2026 00:00:00 -0500",
                [
                    Item("2603.00001v1"),
                    Item("2603.00002v2", "replace"),
                    Item("2603.00003v1", "cross"),
                ],
            )
        ],
        "oai": [
            oai_page(
                [
                    arxiv_record("2603.00101", "2026-03-02"),
                    arxiv_raw_record("2603.00102", "Mon, 2 Mar 2026 19:30:00 GMT"),
                    deleted_record("2603.00103"),
                ],
                token="t1",
            )
        ],
    }


XML_SEEDS = _xml_seeds()
INSERTS = st.sampled_from(
    [
        b"<",
        b">",
        b"&",
        b"&bogus;",
        b"\x00",
        b"\xff\xfe",
        "\u202e\u200b".encode(),
        b"]]>",
        b"<entry>",
        b"</item>",
        b"<record>",
        b'"',
        b"x" * 50_000,
        "\U0001f600".encode(),
    ]
)


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes) -> bytes:
    body = seed
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            body = body[:at]  # cut off
        elif kind == 1:
            end = draw(st.integers(at, min(len(body), at + 400)))
            body = body[:at] + body[end:]  # a slice dropped
        elif kind == 2:
            body = body[:at] + draw(INSERTS) + body[at:]
        else:
            body = body[:at] + draw(st.binary(max_size=20)) + body[at:]
    return body


def _papers(found: tuple[Paper, ...]) -> None:
    for paper in found:
        assert isinstance(paper, Paper) and paper.arxiv_id


XML_PARSERS: dict[str, Callable[[bytes], tuple[Paper, ...]]] = {
    "api": lambda b: parse_api_feed(b).papers,
    "rss": lambda b: parse_feed(b).papers,
    "oai": lambda b: parse_list_records(b).papers,
}


@pytest.mark.parametrize("source", sorted(XML_PARSERS))
@FUZZ
@given(data=st.data())
def test_arxiv_parsers_never_raise_on_mutated_xml(source: str, data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from(XML_SEEDS[source]), label="seed")
    body = data.draw(mutated_bytes(seed), label="body")
    _papers(XML_PARSERS[source](body))


@pytest.mark.parametrize("source", sorted(XML_PARSERS))
@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_arxiv_parsers_never_raise_on_arbitrary_bytes(source: str, body: bytes) -> None:
    _papers(XML_PARSERS[source](body))


@pytest.mark.parametrize("source", sorted(XML_PARSERS))
def test_arxiv_seeds_parse_and_a_cut_keeps_what_came_before(source: str) -> None:
    for seed in XML_SEEDS[source]:
        whole = XML_PARSERS[source](seed)
        assert whole
        cut = XML_PARSERS[source](seed[: len(seed) * 3 // 4])
        assert {p.arxiv_id for p in cut} <= {p.arxiv_id for p in whole}
