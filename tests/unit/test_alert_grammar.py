"""`alert ... above N`, `alerts` and `unalert N|all`: what they read, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.alerts import AlertAdd, AlertList, Unalert
from bot.commands.grammar import Invalid, parse_command
from bot.domain.topics import TextFilter, fts_match


def alert(text: str) -> AlertAdd:
    parsed = parse_command(text, addressed=True)
    assert isinstance(parsed, AlertAdd), parsed
    return parsed


def refusal(text: str) -> str:
    parsed = parse_command(text, addressed=True)
    assert isinstance(parsed, Invalid), parsed
    return parsed.message


def test_a_category_and_a_threshold() -> None:
    parsed = alert("alert cs.CV above 300")
    assert parsed.threshold == 300
    assert [f.label for f in parsed.filters] == ["cs.CV"]
    assert parsed.text is None


def test_a_topic_and_a_threshold() -> None:
    parsed = alert('alert about "protein folding" above 100')
    assert parsed.threshold == 100
    assert parsed.filters == ()
    assert parsed.text == TextFilter(about=(("protein folding",),))


def test_a_category_an_author_and_a_threshold_in_any_order() -> None:
    parsed = alert('alert cs.LG by "Yann LeCun" above 50')
    assert (parsed.threshold, parsed.text) == (50, TextFilter(by="Yann LeCun"))
    assert [f.label for f in parsed.filters] == ["cs.LG"]
    again = alert("alert above 50 by Yann LeCun in cs.LG")
    assert (again.threshold, again.text, again.filters) == (50, parsed.text, parsed.filters)


def test_numbers_inside_a_topic_are_words() -> None:
    parsed = alert("alert about covid 19 above 12.5")
    assert parsed.text == TextFilter(about=(("covid", "19"),))
    assert parsed.threshold == 12.5


def test_a_threshold_with_thousands_separators() -> None:
    assert alert("alert cs.CV above 1,000").threshold == 1000
    assert alert("alert above 1_500 cs.CV").threshold == 1500


def test_alerts_and_unalert() -> None:
    assert isinstance(parse_command("alerts", addressed=True), AlertList)
    assert parse_command("unalert 2", addressed=True) == Unalert(2)
    assert parse_command("unalert #2", addressed=True) == Unalert(2)
    assert parse_command("unalert all", addressed=True) == Unalert(None)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("alert above -5", "must be above 0"),
        ("alert above 0", "must be above 0"),
        ("alert above 1e309", "more than any paper's score"),
        ("alert above 5000000", "more than any paper's score"),
        ("alert above nan", "is not a score"),
        ("alert above abc", "`abc` is not a score"),
        ("alert cs.XX above 3", "Unknown category `cs.XX`"),
        ('alert about "unbalanced above 3', "is not closed"),
        ("alert cs.CV", "needs the score a paper must cross"),
        ("alert", "needs the score a paper must cross"),
        ("alert cs.CV above", "`above` needs a score"),
        ("alert cs.CV 300", "Put `above` before the score"),
        ("alert cs.CV above 3 above 4", "one score"),
        ("alert about above 3", "`about` needs something after it"),
        ("unalert", "one alert number, or `all`"),
        ("unalert two", "`two` is not an alert number"),
        ("unalert 0", "`0` is not an alert number"),
        ("unalert 1 2", "one alert number"),
    ],
)
def test_bad_input_gets_one_friendly_line_with_an_example_that_works(text: str, says: str) -> None:
    message = refusal(text)
    assert says in message
    assert "\n" not in message and "Traceback" not in message
    examples = [bit for i, bit in enumerate(message.split("`")) if i % 2 == 1]
    working = [
        e
        for e in examples
        if not isinstance(parse_command(e, addressed=True), Invalid)
        and e.split()[0] in ("alert", "alerts", "unalert", "top", "categories")
    ]
    assert working, f"no working example in {message!r}"


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["alert", "alert cs.CV", "alert about", "alert above", "unalert"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
def test_nothing_raises_and_every_alert_is_a_valid_one(head: str, rest: str) -> None:
    parsed = parse_command(f"{head} {rest}", addressed=True)
    assert parsed is not None
    if isinstance(parsed, Invalid):
        assert "`" in parsed.message
    elif isinstance(parsed, AlertAdd):
        assert 0 < parsed.threshold <= 1_000_000
        if parsed.text is not None:
            assert fts_match(parsed.text)
