"""arXiv use cases: today's listings from RSS, papers by id from the API, OAI-PMH backfill."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from rich.progress import Progress, TaskID

from bot.domain.calendar import to_eastern
from bot.domain.ids import parse_arxiv_id
from bot.domain.models import Paper
from bot.domain.taxonomy import canonical_category
from bot.sources.arxiv.client import ArxivClient
from bot.sources.arxiv.config import ArxivSourceConfig
from bot.sources.arxiv.http import ArxivHttpError
from bot.sources.arxiv.oaipmh import OaiPage, parse_list_records, set_spec
from bot.sources.arxiv.rss import (
    ITEM_LIMIT,
    RssFeed,
    expected_feed_date,
    is_quiet_day,
    is_stale,
    parse_feed,
)
from bot.store import Store

log = logging.getLogger(__name__)

RSS_CURSOR = "arxiv:rss:"
OAI_CURSOR = "arxiv:oai:"
MAX_TOKEN_RESTARTS = 2


@dataclass(frozen=True)
class ListingReport:
    """What one RSS run did. `status`: ingested, up-to-date, stale, quiet or failed."""

    status: str
    listing_date: date | None = None
    expected: date | None = None
    papers: int = 0  # papers stored (new and updated)
    new: int = 0  # papers the store did not know
    listed: int = 0  # papers given this listing date (new and cross)
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in {"ingested", "up-to-date", "quiet"}


@dataclass(frozen=True)
class LookupReport:
    requested: int = 0
    stored: int = 0
    already_known: int = 0
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class BackfillReport:
    sets: tuple[str, ...] = ()
    pages: int = 0
    records: int = 0
    papers: int = 0
    deleted: int = 0
    complete: bool = True  # every set reached the end of its list
    resumed: tuple[str, ...] = ()  # sets that continued from a stored resumption token
    problems: tuple[str, ...] = ()


def _categories(categories: Iterable[str]) -> list[str]:
    found: dict[str, None] = {}
    for raw in categories:
        text = raw.strip() if isinstance(raw, str) else ""
        if text:
            found.setdefault(canonical_category(text) or text, None)
    return list(found)


def _stored_date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _merge(papers: Iterable[Paper]) -> list[Paper]:
    """One paper per id; a listed copy (new or cross) wins over a replacement's."""
    merged: dict[str, Paper] = {}
    for paper in papers:
        old = merged.get(paper.arxiv_id)
        if old is None or (old.listing_date is None and paper.listing_date is not None):
            merged[paper.arxiv_id] = paper
    return list(merged.values())


def _fetch_feeds(client: ArxivClient, cats: list[str]) -> list[RssFeed]:
    feed = parse_feed(client.rss(cats).content)
    if feed.items < ITEM_LIMIT or len(cats) == 1:
        return [feed]
    log.info("the joined feed hit arXiv's %d-item cap: fetching each category", ITEM_LIMIT)
    return [parse_feed(client.rss([cat]).content) for cat in cats]


def ingest_listings(
    store: Store, client: ArxivClient, categories: Sequence[str], now: datetime
) -> ListingReport:
    """Store the papers of the latest listing of `categories` from RSS.

    New and cross-listed papers get the feed's listing date; replacements only refresh metadata.
    A feed older than the listing expected at `now` is stale: nothing is recorded, run again later.
    A listing already ingested is not fetched again.
    """
    cats = _categories(categories)
    if not cats:
        return ListingReport("failed", problems=("no categories to ingest",))
    holidays = client.holidays
    expected = expected_feed_date(to_eastern(now).date(), holidays)
    cursor = RSS_CURSOR + "+".join(sorted(cats))
    done = _stored_date(store.get_cursor(cursor))
    if done is not None and done >= expected:
        return ListingReport("up-to-date", done, expected)
    try:
        feeds = _fetch_feeds(client, cats)
    except ArxivHttpError as exc:
        log.warning("arXiv RSS for %s: %s", "+".join(cats), exc)
        return ListingReport("failed", expected=expected, problems=(str(exc),))
    problems = tuple(p for f in feeds for p in f.problems)
    dates = [f.listing_date for f in feeds if f.listing_date is not None]
    if any(f.listing_date is None and f.items for f in feeds) or not dates:
        return ListingReport("failed", expected=expected, problems=problems or ("undated feed",))
    if any(is_stale(f, expected) for f in feeds):
        log.info(
            "arXiv RSS for %s still shows %s (expected %s): will retry", cats, min(dates), expected
        )
        return ListingReport("stale", min(dates), expected, problems=problems)
    listing = max(dates)
    if all(is_quiet_day(f, holidays) for f in feeds):
        store.set_cursor(cursor, listing.isoformat())
        return ListingReport("quiet", listing, expected, problems=problems)
    papers = _merge(p for f in feeds for p in f.papers)
    known = store.known_ids(p.arxiv_id for p in papers)
    stored = store.upsert_papers(papers)
    if not any(f.truncated for f in feeds):
        store.set_cursor(cursor, listing.isoformat())  # a cut-off feed is fetched again next run
    report = ListingReport(
        "ingested",
        listing,
        expected,
        papers=stored,
        new=sum(1 for p in papers if p.arxiv_id not in known),
        listed=sum(1 for p in papers if p.listing_date is not None),
        problems=problems,
    )
    log.info(
        "arXiv listing %s for %s: %d papers (%d new, %d listed), %d problems",
        listing,
        "+".join(cats),
        report.papers,
        report.new,
        report.listed,
        len(problems),
    )
    return report


def lookup_papers(
    store: Store, client: ArxivClient, ids: Iterable[str], *, only_unknown: bool = True
) -> LookupReport:
    """Fetch papers by id (any id form or link) into the store; by default only ids it has no
    metadata for (absent, or a placeholder an observation left)."""
    problems: list[str] = []
    wanted: dict[str, None] = {}
    for raw in ids:
        found = parse_arxiv_id(raw) if isinstance(raw, str) else None
        if found is None:
            problems.append(f"not an arXiv id: {raw!r}")
        else:
            wanted.setdefault(found.id, None)
    known = store.described_ids(wanted) if only_unknown else set()
    todo = [i for i in wanted if i not in known]
    if not todo:
        return LookupReport(len(wanted), 0, len(known), problems=tuple(problems))
    result = client.lookup(todo)
    stored = store.upsert_papers(result.papers)
    return LookupReport(
        requested=len(wanted),
        stored=stored,
        already_known=len(known),
        missing=result.missing,
        problems=(*problems, *result.problems),
    )


def _start_params(prefix: str, spec: str, since: date, until: date | None) -> dict[str, str]:
    params = {
        "verb": "ListRecords",
        "metadataPrefix": prefix,
        "set": spec,
        "from": since.isoformat(),
    }
    if until is not None:
        params["until"] = until.isoformat()
    return params


def _advance(progress: Progress | None, task: TaskID | None, page: OaiPage, total: int) -> None:
    if progress is not None and task is not None:
        progress.update(task, advance=page.records, description=f"{total} papers")


@dataclass
class _SetRun:
    pages: int = 0
    records: int = 0
    papers: int = 0
    deleted: int = 0
    complete: bool = False
    resumed: bool = False


def _backfill_set(
    store: Store,
    client: ArxivClient,
    spec: str,
    since: date,
    until: date | None,
    prefix: str,
    problems: list[str],
    progress: Progress | None,
) -> _SetRun:
    run = _SetRun()
    name = f"{OAI_CURSOR}{spec}:{prefix}"
    try:
        state = json.loads(store.get_cursor(name) or "{}")
    except ValueError:
        state = {}
    key = {"from": since.isoformat(), "until": until.isoformat() if until else None}
    same = (
        isinstance(state, dict)
        and state.get("from") == key["from"]
        and state.get("until") == key["until"]
    )
    if not same:
        state = dict(key)
    params: dict[str, str]
    if same and state.get("token"):
        params = {"verb": "ListRecords", "resumptionToken": str(state["token"])}
        run.resumed = True
        log.info("OAI-PMH %s: resuming from a stored resumption token", spec)
    elif same and state.get("complete") and until is None and state.get("harvested"):
        start = max(since, date.fromisoformat(str(state["harvested"])))
        params = _start_params(prefix, spec, start, None)
        log.info("OAI-PMH %s: already harvested; fetching changes since %s", spec, start)
    else:
        params = _start_params(prefix, spec, since, until)
    state["complete"] = False
    task = progress.add_task(f"OAI-PMH {spec}", total=None) if progress is not None else None
    restarts = 0
    while True:
        try:
            result = client.list_records(params)
        except ArxivHttpError as exc:
            log.warning("arXiv OAI-PMH %s: %s (run again to resume)", spec, exc)
            problems.append(f"OAI-PMH {spec}: {exc} (run again to resume)")
            break
        page = parse_list_records(result.content, client.holidays)
        if page.error_code == "badResumptionToken" and restarts < MAX_TOKEN_RESTARTS:
            restarts += 1
            stamp = state.get("last_datestamp")
            start = max(since, date.fromisoformat(stamp[:10])) if stamp else since
            log.warning("OAI-PMH %s: resumption token expired; restarting from %s", spec, start)
            params = _start_params(prefix, spec, start, until)
            continue
        problems.extend(f"OAI-PMH {spec}: {p}" for p in page.problems)
        if page.error_code not in {None, "noRecordsMatch"}:
            break
        run.papers += store.upsert_papers(page.papers)
        run.pages += 1
        run.records += page.records
        run.deleted += page.deleted
        if page.last_datestamp and page.last_datestamp > str(state.get("last_datestamp") or ""):
            state["last_datestamp"] = page.last_datestamp
        _advance(progress, task, page, run.papers)
        if not page.well_formed:  # keep the token that fetched this page: the next run asks again
            store.set_cursor(name, json.dumps(state))
            break
        if page.token is None:
            state.update(
                token=None, complete=True, harvested=(page.response_date or "")[:10] or None
            )
            store.set_cursor(name, json.dumps(state))
            run.complete = True
            break
        state["token"] = page.token
        store.set_cursor(name, json.dumps(state))  # after the page's papers: a crash loses nothing
        params = {"verb": "ListRecords", "resumptionToken": page.token}
    if progress is not None and task is not None:
        progress.update(task, total=run.records, completed=run.records)
    return run


def backfill(
    store: Store,
    client: ArxivClient,
    since: date,
    until: date | None = None,
    sets: Sequence[str] = (),
    progress: Progress | None = None,
    *,
    metadata_prefix: str = "arXiv",
) -> BackfillReport:
    """Harvest OAI-PMH records changed from `since` (to `until`) for each set, resumably.

    `sets` are categories, archives or OAI set specs (`cs.CV`, `math`, `physics:hep-th`); empty
    means the configured categories. After every page the resumption token is stored, so an
    interrupted run continues where it stopped. `metadata_prefix="arXivRaw"` gives exact
    submission times (and so exact listing dates); `arXiv` gives only the submission date.
    """
    problems: list[str] = []
    specs: dict[str, None] = {}
    for name in sets or client.config.categories:
        spec = set_spec(name)
        if spec is None:
            problems.append(f"unknown category or set: {name!r}")
        else:
            specs.setdefault(spec, None)
    if metadata_prefix not in {"arXiv", "arXivRaw"}:
        return BackfillReport(
            complete=False, problems=(f"unsupported metadataPrefix {metadata_prefix!r}",)
        )
    runs = {
        spec: _backfill_set(store, client, spec, since, until, metadata_prefix, problems, progress)
        for spec in specs
    }
    return BackfillReport(
        sets=tuple(specs),
        pages=sum(r.pages for r in runs.values()),
        records=sum(r.records for r in runs.values()),
        papers=sum(r.papers for r in runs.values()),
        deleted=sum(r.deleted for r in runs.values()),
        complete=all(r.complete for r in runs.values()) and not (sets and not specs),
        resumed=tuple(s for s, r in runs.items() if r.resumed),
        problems=tuple(problems),
    )


def run_ingest(
    store: Store,
    config: ArxivSourceConfig,
    *,
    since: date | None = None,
    until: date | None = None,
    categories: Sequence[str] = (),
    progress: Progress | None = None,
    now: datetime | None = None,
    client: ArxivClient | None = None,
) -> tuple[bool, str]:
    """`hotpapers ingest arxiv [--since DATE] [--category C ...]`: (ok, a one-paragraph summary).

    Without `since`: the latest RSS listing. With it: an OAI-PMH backfill that resumes where an
    interrupted run with the same dates stopped. `client` defaults to one on the shared limiter.
    """
    cats = list(categories) or list(config.categories)
    own = client is None
    client = client or ArxivClient.from_config(config)
    try:
        if since is None:
            listing = ingest_listings(store, client, cats, now or datetime.now(UTC))
            lines = [
                f"arXiv listing {listing.listing_date or '?'} ({listing.status}): "
                f"{listing.papers} papers, {listing.new} new."
            ]
            if listing.status == "stale":
                lines.append(f"The feed is older than the expected {listing.expected}; try later.")
            ok, problems = listing.ok, listing.problems
        else:
            report = backfill(store, client, since, until, cats, progress)
            state = "complete" if report.complete else "interrupted: run the same command to resume"
            lines = [
                f"arXiv backfill of {', '.join(report.sets) or 'nothing'} since {since} ({state}): "
                f"{report.papers} papers from {report.records} records in {report.pages} pages."
            ]
            ok, problems = report.complete, report.problems
    finally:
        if own:
            client.close()
    lines.extend(f"  - {p}" for p in problems[:20])
    if len(problems) > 20:
        lines.append(f"  ... and {len(problems) - 20} more problems (see the log)")
    return ok, "\n".join(lines)
