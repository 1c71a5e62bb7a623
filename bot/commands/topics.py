"""`about WORDS` and `by AUTHOR` in any command that takes a CATEGORY.

`about` reads words, "quoted phrases" and `OR` until a word another part of the command claims
(a category, a period, `top 5`, `at 09:00`...) or `by`; put words in quotes when they could be
read as one of those (`about "3d" reconstruction`). `by` reads a name the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.answers import show
from bot.commands.matchers import FILLERS, Matcher, Parts
from bot.commands.tokens import Token
from bot.commands.types import Invalid
from bot.domain.topics import MAX_TERMS, MAX_TOPIC, TextFilter, tidy_term

QUOTES = '"“”'
ABOUT_EXAMPLE = {
    "top": 'top 10 week about "gaussian splatting" OR nerf',
    "trending": "trending 5 cs.LG about diffusion",
    "new": "new 10 cs.CV about segmentation",
    "subscribe": 'subscribe cs.CV about "3d reconstruction" top 5 at 09:00',
}
BY_EXAMPLE = {
    "top": 'top month by "Yann LeCun"',
    "trending": 'trending week by "Yann LeCun"',
    "new": "new 10 by Bengio",
    "subscribe": 'subscribe by "Yann LeCun" at 09:00',
}
KEYWORDS = ("about", "by")


def topic_matchers(others: Sequence[Matcher]) -> list[Matcher]:
    """Matchers for `about ...` and `by ...` that stop at a token one of `others` would claim."""

    def claimed(tokens: list[Token], i: int, command: str) -> bool:
        token = tokens[i]
        if token.quoted:
            return False
        if token.low in KEYWORDS:
            return True
        probe = Parts(command)  # a scratch copy: probing must not change what was read
        return any(matcher(tokens, i, probe) != 0 for matcher in others)

    def read(tokens: list[Token], i: int, parts: Parts) -> tuple[list[Token], int]:
        j = i + 1
        while j < len(tokens) and not claimed(tokens, j, parts.command):
            j += 1
        taken = tokens[i + 1 : j]
        while taken and not taken[-1].quoted and taken[-1].low in FILLERS:
            taken.pop()  # "about diffusion in cs.CV": `in` goes back to the fillers
        return taken, i + 1 + len(taken)

    def match_about(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
        if tokens[i].quoted or tokens[i].low != "about":
            return 0
        taken, end = read(tokens, i, parts)
        example = ABOUT_EXAMPLE.get(parts.command, ABOUT_EXAMPLE["top"])
        problem = _checked(taken, "about", example)
        if problem:
            return problem
        if parts.about:
            return Invalid(f"Give me one `about`; use OR for alternatives. Try `{example}`.")
        groups: list[list[str]] = [[]]
        for token in taken:
            if token.low == "or" and not token.quoted:
                groups.append([])
            elif (token.quoted or token.low not in FILLERS) and tidy_term(token.raw):
                groups[-1].append(tidy_term(token.raw))
        kept = tuple(tuple(g) for g in groups if g)
        if not kept or len(kept) != len(groups):
            return Invalid(
                f"`about` needs words on each side of OR, e.g. `{example}`. Letters or digits, "
                f'please: quotes keep a phrase together ("gaussian splatting").'
            )
        if sum(len(g) for g in kept) > MAX_TERMS:
            return Invalid(
                f"That topic has more than {MAX_TERMS} words and phrases; try a few "
                f"distinctive ones, e.g. `{example}`."
            )
        parts.about = kept
        return end - i

    def match_by(tokens: list[Token], i: int, parts: Parts) -> int | Invalid:
        if tokens[i].quoted or tokens[i].low != "by":
            return 0
        taken, end = read(tokens, i, parts)
        example = BY_EXAMPLE.get(parts.command, BY_EXAMPLE["top"])
        problem = _checked(taken, "by", example)
        if problem:
            return problem
        name = tidy_term(" ".join(t.raw for t in taken))
        if not name:
            return Invalid(f"`by` needs an author's name in letters, e.g. `{example}`.")
        if parts.by is not None:
            return Invalid(f"Give me one author. Try `{example}`.")
        parts.by = name
        return end - i

    return [match_about, match_by]


def _checked(taken: list[Token], word: str, example: str) -> Invalid | None:
    if not taken:
        return Invalid(
            f"`{word}` needs something after it, e.g. `{example}`. Quote words that read as a "
            f'period or number: `about "3d" reconstruction`.'
        )
    for token in taken:
        if not token.quoted and any(q in token.raw for q in QUOTES):
            return Invalid(
                f"A quote in `{show(token.raw)}` is not closed. Put phrases between two "
                f"quotes, e.g. `{example}`."
            )
    length = sum(len(t.raw) + 1 for t in taken)
    if length > MAX_TOPIC:
        return Invalid(
            f"That `{word}` is {length} characters long; I take at most {MAX_TOPIC}. "
            f"Try a few distinctive words, e.g. `{example}`."
        )
    return None


def text_filter(parts: Parts) -> TextFilter | None:
    """The command's topic and author filter, or None when it has neither."""
    found = TextFilter(parts.about, parts.by or "")
    return found if found else None
