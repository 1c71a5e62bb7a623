"""The engine's canned replies: something went wrong on our side, an arXiv lookup that failed,
and notes added to a digest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.domain.models import Digest, Reply


def went_wrong() -> Reply:
    return Reply(
        "Sorry, something went wrong on my side while answering that. "
        "Try again, or `help` for examples.",
        ok=False,
    )


def with_notes(digest: Digest, notes: Sequence[str]) -> Digest:
    if not notes:
        return digest
    return replace(digest, notes=digest.notes + tuple(notes))


def lookup_failed(arxiv_id: str, why: str) -> Reply:
    return Reply(
        f"I couldn't look arXiv:{arxiv_id} up just now ({why}). Try again in a minute, "
        f"e.g. `paper {arxiv_id}`.",
        ok=False,
    )
