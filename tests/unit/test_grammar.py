"""The chat command grammar: every rule of DESIGN's "Commands", and that nothing makes it raise."""

from __future__ import annotations

from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import COMMANDS, help_text
from bot.commands.grammar import (
    Categories,
    Command,
    Details,
    Help,
    Invalid,
    PaperLookup,
    Period,
    Search,
    Subscribe,
    Subscriptions,
    Top,
    Trending,
    Unsubscribe,
    parse_command,
    starts_like_a_command,
)
from bot.domain.models import Request
from bot.domain.taxonomy import resolve_filter

CAP = "Showing 25, the most I list at once."


def labels(command: Command | None) -> list[str]:
    assert isinstance(command, Top | Trending | Search | Subscribe | Unsubscribe)
    return [f.label for f in command.filters]


def invalid(text: str, **kwargs: bool) -> str:
    result = parse_command(text, **kwargs)
    assert isinstance(result, Invalid), result
    return result.message


# -- top -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "top 5 cs.CV today",
        "top cs.CV 5 today",
        "top today cs.CV 5",
        "TOP 5 CS.cv TODAY",
        "top 5 cs.cv today.",
        "/hotpapers top 5 cs.CV today",
        "!hp top 5 cs.CV today",
        "<@U123ABC> top 5 cs.CV today",
        "<@U123ABC|hotpapers>: top 5 cs.CV today",
        "<@123456> top 5 cs.CV today",
        "<@!123456> top 5 cs.CV today",
        "top5 cs.CV today",
        "top 5 papers in cs.CV today",
    ],
)
def test_top_tokens_in_any_order_any_case_any_prefix(text: str) -> None:
    cv = resolve_filter("cs.CV")
    assert cv is not None
    assert parse_command(text) == Top(5, (cv,), Period("today", label="today"))


def test_top_defaults() -> None:
    assert parse_command("top") == Top(5, (), Period("today"))


def test_top_n_capped_with_a_note() -> None:
    assert parse_command("top 25") == Top(25, (), Period("today"))
    assert parse_command("top 26") == Top(25, (), Period("today"), (CAP,))
    assert parse_command("top 10000") == Top(25, (), Period("today"), (CAP,))
    assert parse_command("top " + "9" * 5000) == Top(25, (), Period("today"), (CAP,))


@pytest.mark.parametrize("text", ["top 0", "top -3", "top 5 10", "top 2.5"])
def test_top_bad_numbers(text: str) -> None:
    assert "top " in invalid(text)


def test_several_categories_archives_and_aliases() -> None:
    result = parse_command("top cs.CV, cs.LG math math.IT astro-ph cs.CV")
    assert labels(result) == ["cs.CV", "cs.LG", "math", "cs.IT", "astro-ph"]
    assert labels(parse_command("top physics")) == ["physics"]


def test_unknown_category_says_did_you_mean_with_an_example() -> None:
    assert invalid("top cs.CVV") == (
        "Unknown category `cs.CVV` — did you mean `cs.CV`? Try `top 5 cs.CV today`."
    )
    message = invalid("top 5 qqqqqq today")
    assert "Unknown category `qqqqqq`" in message and "categories" in message


@pytest.mark.parametrize(
    ("words", "period"),
    [
        ("today", Period("today", label="today")),
        ("yesterday", Period("yesterday", label="yesterday")),
        ("week", Period("days", 7, label="this week")),
        ("this week", Period("days", 7, label="this week")),
        ("month", Period("days", 30, label="this month")),
        ("this month", Period("days", 30, label="this month")),
        ("last 3 days", Period("days", 3, label="last 3 days")),
        ("past 10 days", Period("days", 10, label="last 10 days")),
        ("last 1 day", Period("days", 1, label="last day")),
        ("last 366 days", Period("days", 366, label="last 366 days")),
        ("last week", Period("days", 7, label="last 7 days")),
        ("2021-04-05", Period("date", on=date(2021, 4, 5), label="2021-04-05")),
        ("2020-02-29", Period("date", on=date(2020, 2, 29), label="2020-02-29")),
    ],
)
def test_periods(words: str, period: Period) -> None:
    result = parse_command(f"top 3 {words} cs.CV")
    assert isinstance(result, Top) and result.period == period and result.n == 3


def test_dates_that_do_not_exist() -> None:
    assert "does" in invalid("top 2021-02-30") or "not a date" in invalid("top 2021-02-30")
    assert "`2021-02-30` is not a date that exists" in invalid("top 2021-02-30")
    assert "not a date" in invalid("top 2021-13-01")


@pytest.mark.parametrize(
    "text", ["top last 0 days", "top last 367 days", "top today yesterday", "top last", "top this"]
)
def test_bad_periods(text: str) -> None:
    assert "top 5" in invalid(text)


def test_hints_for_tokens_of_another_command() -> None:
    assert "trending 24h" in invalid("top 24h")
    assert "paper 2104.00743" in invalid("top 5 2104.00743", addressed=True)


# -- trending --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("trending", 24),
        ("trending 24h", 24),
        ("trending 48h", 48),
        ("trending today", 24),
        ("trending week", 168),
        ("trending this week", 168),
        ("trending 3d", 72),
        ("trending 48 hours", 48),
        ("trending last 2 days", 48),
        ("trending 30d", 720),
        ("trending 720h", 720),
    ],
)
def test_trending_windows(text: str, hours: int) -> None:
    assert parse_command(text) == Trending(5, (), hours)


def test_trending_n_and_categories_any_order() -> None:
    result = parse_command("trending cs.LG 48h 10")
    assert isinstance(result, Trending)
    assert (result.n, labels(result), result.hours) == (10, ["cs.LG"], 48)
    assert parse_command("trending 100") == Trending(25, (), 24, (CAP,))


@pytest.mark.parametrize(
    "text", ["trending 31d", "trending 721h", "trending 0h", "trending yesterday", "trending 1h 2h"]
)
def test_trending_bad_windows(text: str) -> None:
    assert "trending" in invalid(text)


# -- paper and pasted links -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paper 2104.00743", PaperLookup("2104.00743")),
        ("paper arXiv:2104.00743v2", PaperLookup("2104.00743", 2)),
        ("paper https://arxiv.org/pdf/2104.00743v1.pdf", PaperLookup("2104.00743", 1)),
        ("paper <https://arxiv.org/abs/hep-th/9901001>", PaperLookup("hep-th/9901001")),
        ("PAPER math.CA/0611800v2", PaperLookup("math/0611800", 2)),
        ("https://arxiv.org/abs/2104.00743", PaperLookup("2104.00743")),
        ("wow look https://arxiv.org/abs/2104.00743 and 2104.00744", PaperLookup("2104.00743")),
        ("<@U1> what about arXiv:2104.00743?", PaperLookup("2104.00743")),
        ("top paper today: https://arxiv.org/abs/2104.00743", PaperLookup("2104.00743")),
    ],
)
def test_paper_lookups(text: str, expected: PaperLookup) -> None:
    assert parse_command(text) == expected


def test_paper_without_an_id() -> None:
    assert "paper 2104.00743" in invalid("paper")
    assert "paper 2104.00743" in invalid("paper the one about cats")


# -- search ----------------------------------------------------------------------------------


def test_search_words_categories_period_and_n() -> None:
    result = parse_command("search Diffusion Video cs.CV week 10")
    assert isinstance(result, Search)
    assert result.words == "Diffusion Video"
    assert labels(result) == ["cs.CV"]
    assert result.period == Period("days", 7, label="this week")
    assert result.n == 10
    plain = parse_command("search graph neural networks")
    assert plain == Search("graph neural networks", (), None, 5)


def test_search_quotes_keep_words_that_look_like_filters() -> None:
    result = parse_command('search "physics informed" networks "2021"')
    assert result == Search("physics informed networks 2021", (), None, 5)
    assert parse_command("search last mile delivery") == Search("last mile delivery", (), None, 5)


def test_search_problems() -> None:
    assert "search" in invalid("search")
    assert "search" in invalid("search cs.CV today")
    assert "200" in invalid("search " + "a" * 201)
    assert "did you mean `cs.CV`" in invalid("search gans cs.CVV")
    assert parse_command("search " + "a" * 200) == Search("a" * 200, (), None, 5)


# -- details ---------------------------------------------------------------------------------


def test_bare_number_is_details_only_in_a_thread() -> None:
    assert parse_command("3", in_thread=True) == Details(3)
    assert parse_command("#3", in_thread=True) == Details(3)
    assert "thread" in invalid("3")
    assert parse_command("details 3") == Details(3)
    assert parse_command("details 3", in_thread=True) == Details(3)


@pytest.mark.parametrize("text", ["details", "details 0", "details x", "details 26", "0"])
def test_bad_details(text: str) -> None:
    assert "3" in invalid(text, in_thread=True)


# -- subscriptions ---------------------------------------------------------------------------


def test_subscribe_defaults() -> None:
    cv = resolve_filter("cs.CV")
    assert parse_command("subscribe cs.CV") == Subscribe((cv,), 5, time(9, 0), None, None)  # type: ignore[arg-type]
    assert parse_command("subscribe") == Subscribe((), 5, time(9, 0), None, None)


def test_subscribe_everything_in_any_order() -> None:
    result = parse_command("subscribe Europe/Berlin at 08:30 cs.CL top 10 cs.LG weekdays")
    assert isinstance(result, Subscribe)
    assert labels(result) == ["cs.CL", "cs.LG"]
    assert (result.n, result.at, result.timezone, result.days) == (
        10,
        time(8, 30),
        "Europe/Berlin",
        (0, 1, 2, 3, 4),
    )


@pytest.mark.parametrize(
    ("words", "at"),
    [
        ("at 9am", time(9, 0)),
        ("at 9:30pm", time(21, 30)),
        ("at 12am", time(0, 0)),
        ("at 12pm", time(12, 0)),
        ("at 9 pm", time(21, 0)),
        ("at 21", time(21, 0)),
        ("at 00:05", time(0, 5)),
        ("7am", time(7, 0)),
        ("18:45", time(18, 45)),
        ("at noon", time(12, 0)),
    ],
)
def test_subscribe_times(words: str, at: time) -> None:
    result = parse_command(f"subscribe cs.CV {words}")
    assert isinstance(result, Subscribe) and result.at == at


@pytest.mark.parametrize(
    ("words", "days"),
    [
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("every day", (0, 1, 2, 3, 4, 5, 6)),
        ("weekdays", (0, 1, 2, 3, 4)),
        ("mon,wed,fri", (0, 2, 4)),
        ("mon, wed, fri", (0, 2, 4)),
        ("Tuesday Thursday", (1, 3)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("on sundays", (6,)),
    ],
)
def test_subscribe_days(words: str, days: tuple[int, ...]) -> None:
    result = parse_command(f"subscribe {words}")
    assert isinstance(result, Subscribe) and result.days == days


@pytest.mark.parametrize(
    ("zone", "canonical"),
    [
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("europe/berlin", "Europe/Berlin"),
        ("Asia/Tokyo", "Asia/Tokyo"),
    ],
)
def test_subscribe_timezones(zone: str, canonical: str) -> None:
    result = parse_command(f"subscribe cs.CV {zone}")
    assert isinstance(result, Subscribe) and result.timezone == canonical


def test_subscribe_problems() -> None:
    assert "Europe/Berlin" in invalid("subscribe cs.CV Europe/Berln")
    assert "Unknown timezone `Mars/Olympus`" in invalid("subscribe Mars/Olympus")
    assert "not a time" in invalid("subscribe at 25:00")
    assert "not a time" in invalid("subscribe at 13pm")
    assert "not a time" in invalid("subscribe at 9:75")
    assert "at 09:00" in invalid("subscribe at")
    assert "did you mean `cs.CV`" in invalid("subscribe cs.CVV")
    assert "one time" in invalid("subscribe at 9am at 10am")
    assert "25" in invalid("subscribe top 0") or "1 or more" in invalid("subscribe top 0")


def test_unsubscribe_subscriptions_categories_help() -> None:
    assert parse_command("unsubscribe") == Unsubscribe()
    assert parse_command("unsubscribe all") == Unsubscribe()
    assert labels(parse_command("unsubscribe cs.CV math")) == ["cs.CV", "math"]
    assert "cs.CV" in invalid("unsubscribe cs.CVV")
    assert parse_command("subscriptions") == Subscriptions()
    assert parse_command("categories") == Categories()
    assert parse_command("categories CS") == Categories("cs")
    assert parse_command("categories physics") == Categories("physics")
    assert parse_command("categories cs.CV") == Categories("cs")
    assert "categories cs" in invalid("categories nope")
    assert parse_command("help") == Help()
    assert parse_command("help TOP") == Help("top")
    assert parse_command("?") == Help()
    assert parse_command("help foo") == Help("foo")


# -- not for the bot, unknown, empty ----------------------------------------------------------


@pytest.mark.parametrize("text", ["hello there", "lol", "I read a paper yesterday", "12 monkeys"])
def test_chat_without_a_command_word_is_not_for_the_bot(text: str) -> None:
    assert parse_command(text) is None


def test_unknown_command_word_when_addressed() -> None:
    assert invalid("<@U123> foo bar") == "I don't know `foo`. Try `top 5 cs.CV today` or `help`."
    assert (
        invalid("foo", addressed=True) == "I don't know `foo`. Try `top 5 cs.CV today` or `help`."
    )


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "<@U123>", "/hotpapers"])
def test_empty_text_gets_an_example(text: str) -> None:
    assert "top 5 cs.CV today" in invalid(text)


def test_echoed_user_text_is_short_and_cannot_close_a_code_span() -> None:
    message = invalid("top `" + "x" * 300)
    assert "`" + "x" * 300 not in message and len(message) < 200


# -- help texts ------------------------------------------------------------------------------


def test_help_covers_every_command_with_examples_that_parse() -> None:
    # at least the grammar of DESIGN's "Commands"; newer ones come from the registry too
    assert set(COMMANDS) >= {
        "top",
        "trending",
        "paper",
        "search",
        "details",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "categories",
        "help",
    }
    overview = help_text(None)
    for name, entry in COMMANDS.items():
        assert entry.usage in overview
        assert 1 <= len(entry.examples) <= 3
        assert entry.usage in help_text(name)
        for example in entry.examples:
            parsed = parse_command(example, in_thread=True)
            assert parsed is not None and not isinstance(parsed, Invalid), example


def test_help_for_an_unknown_topic_is_friendly_and_shows_the_overview() -> None:
    text = help_text("frobnicate")
    assert "frobnicate" in text and COMMANDS["top"].usage in text


# -- properties ------------------------------------------------------------------------------

words = st.sampled_from(
    [
        "top",
        "trending",
        "search",
        "paper",
        "subscribe",
        "details",
        "cs.CV",
        "math",
        "5",
        "-1",
        "99999",
        "last",
        "days",
        "this",
        "week",
        "at",
        "9am",
        "25:00",
        "Europe/Berlin",
        "2021-02-30",
        "48h",
        '"',
        "<@U1>",
        "2104.00743",
        "hep-th/9901001",
        ",",
        "`",
    ]
)


@given(st.text(max_size=500), st.booleans(), st.booleans())
def test_any_text_never_raises(text: str, in_thread: bool, addressed: bool) -> None:
    parse_command(text, in_thread=in_thread, addressed=addressed)


@given(st.lists(words, max_size=12), st.booleans())
def test_any_mix_of_command_tokens_never_raises(tokens: list[str], in_thread: bool) -> None:
    result = parse_command(" ".join(tokens), in_thread=in_thread)
    if isinstance(result, Invalid):
        assert result.message
    if isinstance(result, Top | Trending | Search | Subscribe):
        assert 1 <= result.n <= 25


def test_hundred_kilobytes_parse() -> None:
    noise = "top cs.CV 5 some words here 2021-04-05 " * 2600
    assert isinstance(parse_command(noise[:100_000]), Invalid)
    search = parse_command("search " + "word " * 20_000)
    assert isinstance(search, Invalid)
    pasted = parse_command("x " * 50_000 + "https://arxiv.org/abs/2104.00743")
    assert pasted == PaperLookup("2104.00743")


# -- in the bot's digest thread: which messages are for the bot (defect 8) -------------------


@pytest.mark.parametrize(
    ("text", "for_the_bot"),
    [
        ("3", True),
        ("#3", True),
        ("top 3 cs.CV", True),
        ("Details 2", True),
        ("top5", True),
        ("<@U0BOB> nice find!", False),  # someone else mentioned: talk
        ("<@U0BOB> top 3 cs.CV", True),
        ("nice paper, thanks!", False),
        ("Great list", False),
        ("so 3 of them are CV?", False),
        ('"top" is a strong word', False),
        ("", False),
    ],
)
def test_what_in_a_digest_thread_is_for_the_bot(text: str, for_the_bot: bool) -> None:
    assert starts_like_a_command(text) is for_the_bot


def test_a_request_must_say_whether_it_is_addressed() -> None:
    with pytest.raises(TypeError, match="addressed"):
        Request(text="nice paper, thanks!")  # type: ignore[call-arg]
