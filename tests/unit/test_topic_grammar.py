"""`about TOPIC` and `by AUTHOR` in top, trending and new: what they read, and bad input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.grammar import Invalid, Top, Trending, parse_command
from bot.commands.registry import New
from bot.domain.topics import TextFilter, fts_match


def top(text: str) -> Top:
    parsed = parse_command(text, addressed=True)
    assert isinstance(parsed, Top), parsed
    return parsed


def test_about_after_a_category() -> None:
    parsed = top("top 5 cs.LG about diffusion")
    assert parsed.n == 5
    assert [f.label for f in parsed.filters] == ["cs.LG"]
    assert parsed.text == TextFilter(about=(("diffusion",),))


def test_phrases_and_or() -> None:
    parsed = top('top 10 week about "gaussian splatting" OR nerf')
    assert parsed.period.label == "this week"
    assert parsed.text == TextFilter(about=(("gaussian splatting",), ("nerf",)))
    assert parsed.text.label == 'about "gaussian splatting" OR nerf'


def test_by_an_author_in_quotes_or_not() -> None:
    assert top('top by "Yann LeCun"').text == TextFilter(by="Yann LeCun")
    assert top("top 3 by Yann LeCun month").text == TextFilter(by="Yann LeCun")
    assert top("top 3 by Yann LeCun month").period.label == "this month"


def test_about_stops_at_what_the_command_reads_and_gives_fillers_back() -> None:
    parsed = top("top 5 about video diffusion in cs.CV week by Ho")
    assert parsed.text == TextFilter(about=(("video", "diffusion"),), by="Ho")
    assert [f.label for f in parsed.filters] == ["cs.CV"]
    assert parsed.period.label == "this week"


def test_trending_and_new_take_them_too() -> None:
    trending = parse_command("trending 5 by Yann LeCun 48h", addressed=True)
    assert isinstance(trending, Trending)
    assert (trending.hours, trending.text) == (48, TextFilter(by="Yann LeCun"))
    new = parse_command("new 3 cs.CV about segmentation", addressed=True)
    assert isinstance(new, New)
    assert new.text == TextFilter(about=(("segmentation",),))


def test_without_about_or_by_there_is_no_text_filter() -> None:
    assert top("top 5 cs.CV today").text is None


def test_fts_syntax_is_plain_words() -> None:
    parsed = top('top about NEAR(a b) -c:d * "x^y" OR NOT')
    assert parsed.text is not None
    assert fts_match(parsed.text) == '(("near a" "b" "c d" "x y") OR ("not"))'
    assert fts_match(TextFilter(by="O'Brien")) == 'authors : "obrien"'


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('top about "gaussian splatting', "is not closed"),
        ("top about", "needs something after it"),
        ("top cs.CV about OR nerf", "on each side of OR"),
        ("top about nerf OR", "on each side of OR"),
        ("top by -- ## @@", "an author's name in letters"),
        ("top by", "needs something after it"),
        ("top about " + "diffusion " * 50, "I take at most 200"),
        ("top about " + " ".join(f"w{i}" for i in range(20)), "more than 16 words"),
        ("top about a about b", "one `about`"),
    ],
)
def test_bad_topics_get_a_friendly_answer_with_an_example(text: str, said: str) -> None:
    parsed = parse_command(text, addressed=True)
    assert isinstance(parsed, Invalid), parsed
    assert said in parsed.message
    assert "`top " in parsed.message  # an example that works
    example = parsed.message.split("`top ", 1)[1].split("`", 1)[0]
    assert not isinstance(parse_command("top " + example, addressed=True), Invalid)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["top", "trending", "new", "top 5 cs.CV week"]),
    st.sampled_from(["about", "by"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
)
def test_no_text_raises_and_every_filter_is_a_valid_query(head: str, word: str, rest: str) -> None:
    parsed = parse_command(f"{head} {word} {rest}", addressed=True)
    assert parsed is not None
    if isinstance(parsed, Invalid):
        assert "`" in parsed.message
        return
    text = getattr(parsed, "text", None)
    if text is not None:
        assert fts_match(text)  # never empty when there is a filter
