"""Metadata by id from the arXiv API (export.arxiv.org/api/query?id_list=...), parsed with feedparser."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import feedparser

from bot.domain.calendar import listing_date_for
from bot.domain.ids import parse_arxiv_id
from bot.domain.models import Paper
from bot.sources.arxiv.http import ArxivHttp, ArxivHttpError, HttpResult
from bot.sources.arxiv.parsing import canonical_categories, clean_text

log = logging.getLogger(__name__)

BATCH_SIZE = 100  # ids per request


@dataclass(frozen=True)
class ApiPage:
    papers: tuple[Paper, ...] = ()
    problems: tuple[str, ...] = ()
    total_results: int | None = None
    error: str | None = None  # the message of arXiv's Atom error feed (HTTP 400)
    entries: int = 0


@dataclass(frozen=True)
class LookupResult:
    papers: tuple[Paper, ...] = ()
    missing: tuple[str, ...] = ()  # asked for, not returned (unknown id, error, arXiv down)
    problems: tuple[str, ...] = ()
    requests: int = 0


def _parse(content: bytes) -> Any:
    return feedparser.parse(content)


def _total(parsed: Any) -> int | None:
    raw = parsed.get("feed", {}).get("opensearch_totalresults")
    try:
        return int(str(raw).strip())
    except (TypeError, ValueError):
        return None


def _time(raw: object) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_error(entry: Any) -> bool:
    return clean_text(entry.get("title")) == "Error" and "/api/errors" in str(entry.get("id", ""))


def _paper(entry: Any, holidays: frozenset[date]) -> Paper | str:
    found = parse_arxiv_id(str(entry.get("id") or ""))
    if found is None:
        return f"API entry without an arXiv id ({entry.get('id')!r}): skipped"
    title = clean_text(entry.get("title"))
    if not title:
        return f"API entry {found.id} has no title: skipped"
    primary = clean_text((entry.get("arxiv_primary_category") or {}).get("term"))
    tags = [t.get("term", "") for t in entry.get("tags") or ()]
    cats = canonical_categories([primary, *tags])
    if not cats:
        return f"API entry {found.id} has no category: skipped"
    submitted = _time(entry.get("published"))
    return Paper(
        arxiv_id=found.id,
        title=title,
        authors=tuple(n for a in entry.get("authors") or () if (n := clean_text(a.get("name")))),
        abstract=clean_text(entry.get("summary")),
        primary_category=cats[0],
        categories=cats,
        listing_date=listing_date_for(submitted, holidays) if submitted else None,
        submitted=submitted,
        version=found.version,
    )


def parse_api_feed(content: bytes | str, holidays: frozenset[date] = frozenset()) -> ApiPage:
    """Parse one API Atom answer. Never raises: error feeds and bad entries become problems."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    try:
        parsed = _parse(raw)
    except Exception as exc:
        return ApiPage(problems=(f"API answer could not be parsed: {exc}",))
    entries = list(parsed.get("entries", []))
    problems: list[str] = []
    if parsed.get("bozo"):
        problems.append(f"API answer is not well-formed XML: {parsed.get('bozo_exception')}")
    elif not parsed.get("version"):
        problems.append(f"API answer is not an Atom feed ({len(raw)} bytes): nothing read")
        if entries and not raw.rstrip().endswith(b"</feed>"):
            last = entries.pop()
            problems.append(f"API answer ends early; entry {last.get('id')!r} skipped")
    errors = [clean_text(e.get("summary")) or "unknown error" for e in entries if _is_error(e)]
    if errors:
        message = "; ".join(errors)
        return ApiPage(
            problems=(f"arXiv API error: {message}",), error=message, entries=len(entries)
        )
    papers: list[Paper] = []
    for entry in entries:
        made = _paper(entry, holidays)
        if isinstance(made, str):
            problems.append(made)
        else:
            papers.append(made)
    return ApiPage(tuple(papers), tuple(problems), _total(parsed), None, len(entries))


def page_is_complete(result: HttpResult) -> bool:
    """False for the empty pages arXiv sometimes sends: no body, or results counted but none given."""
    if result.status != 200:
        return True
    if not result.content.strip():
        return False
    parsed = _parse(result.content)
    total = _total(parsed)
    return not (total and not parsed.get("entries"))


def batches(ids: Sequence[str], size: int = BATCH_SIZE) -> list[list[str]]:
    size = max(1, min(size, BATCH_SIZE))
    return [list(ids[i : i + size]) for i in range(0, len(ids), size)]


def fetch_papers(
    http: ArxivHttp,
    base_url: str,
    ids: Sequence[str],
    holidays: frozenset[date] = frozenset(),
    batch_size: int = BATCH_SIZE,
) -> LookupResult:
    """Look up papers by id, <= 100 per request. Bad ids, error feeds and outages are reported."""
    wanted: dict[str, None] = {}
    problems: list[str] = []
    for raw in ids:
        found = parse_arxiv_id(raw) if isinstance(raw, str) else None
        if found is None:
            problems.append(f"not an arXiv id: {raw!r}")
        else:
            wanted.setdefault(found.id, None)
    papers: dict[str, Paper] = {}
    requests = 0
    for batch in batches(list(wanted), batch_size):
        params: dict[str, str | int] = {
            "id_list": ",".join(batch),
            "start": 0,
            "max_results": len(batch),
        }
        try:
            requests += 1
            result = http.get(base_url, params, complete=page_is_complete)
        except ArxivHttpError as exc:
            problems.append(f"arXiv API lookup of {len(batch)} ids failed: {exc}")
            break
        page = parse_api_feed(result.content, holidays)
        problems.extend(page.problems)
        for paper in page.papers:
            if paper.arxiv_id in wanted:
                papers[paper.arxiv_id] = paper
    for problem in problems:
        log.warning("%s", problem)
    missing = tuple(i for i in wanted if i not in papers)
    if missing:
        log.info(
            "arXiv API did not return %d of %d ids: %s", len(missing), len(wanted), missing[:10]
        )
    return LookupResult(tuple(papers.values()), missing, tuple(problems), requests)
