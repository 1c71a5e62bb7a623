"""Text from outside made safe to show: no control, zero-width or bidi-override characters."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidirectional formatting characters can hide or reorder what a reader sees.
_INVISIBLE = re.compile(
    "[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]"
)
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean(text: str, limit: int | None = None) -> str:
    """One line: invisible characters dropped, whitespace collapsed, cut at `limit` characters."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text or ""))
    text = " ".join(text.split())
    return shorten(text, limit) if limit else text


def clean_block(text: str, limit: int | None = None) -> str:
    """Like clean, but keeps paragraph breaks."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text or ""))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return shorten(text, limit) if limit else text


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:") + "…"


def author_line(authors: tuple[str, ...], shown: int = 3) -> str:
    names = [clean(a, 80) for a in authors if a.strip()]
    if len(names) <= shown:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f", +{len(names) - shown} more"
