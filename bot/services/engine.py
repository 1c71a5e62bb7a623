"""The one object adapters and the scheduler talk to: commands in, replies and digests out."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.commands import grammar as g
from bot.commands.help import categories_text, help_text
from bot.commands.registry import New, spec_for
from bot.domain.errors import StorageError
from bot.domain.models import Observation, Paper, Reply, Request
from bot.render.text import render_digest_text, render_paper_text
from bot.services.digests import DigestQueries, filter_suffix, match_of, union_of
from bot.services.lookups import LookupBusy, LookupFailed, PaperFetch, PaperLookups
from bot.services.periods import NoListing, resolve_period
from bot.services.rate_limits import RateLimiter
from bot.services.replies import lookup_failed, went_wrong, with_notes
from bot.services.team import TeamAttention
from bot.services.team_command import team_answer
from bot.store import Store

log = logging.getLogger(__name__)

MAX_ITEMS = 25


@dataclass(frozen=True)
class EngineSettings:
    timezone: str = "UTC"
    title: str = "Hot Papers"
    min_score: float = 1.0  # a paper needs this much attention to appear in a digest
    posts_per_item: int = 10
    command_seconds: float = 5.0  # a command's database work is cut off after this; 0: no limit
    team_weight: float = 0.0  # [scoring] team_weight: a channel's own reactions in its ordering
    public_url: str | None = None  # the web site's address: digests and papers link their page


# Fetches papers by id from arXiv: network only, never the store, so it may run in a worker thread.
SubscriptionHandler = Callable[[g.Command, Request], Reply]


class Engine(DigestQueries):
    def __init__(
        self,
        store: Store,
        settings: EngineSettings | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        paper_fetch: PaperFetch | None = None,
        subscriptions: SubscriptionHandler | None = None,
        limiter: RateLimiter | None = None,
        alerts: SubscriptionHandler | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or EngineSettings()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.paper_fetch = paper_fetch
        self.lookups = PaperLookups(paper_fetch) if paper_fetch is not None else None
        self.subscriptions = subscriptions
        self.alerts = alerts  # `alert`, `alerts`, `unalert` (bot/services/alerts.py)
        self.limiter = limiter  # None: no command rate limits (tests, benchmarks, the CLI)
        self.team = TeamAttention(store, self.clock, self.settings.team_weight)

    # -- chat ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Reply | None:
        """Answer one message. None when the message is not for the bot. Never raises.

        An unknown paper is fetched from arXiv right here, blocking: on an event loop use
        `handle_async`.
        """
        limited = self._limited(request)
        if limited is not None:
            return limited
        return self._answer(self._parse(request), request, fetch=True)

    async def handle_async(self, request: Request) -> Reply | None:
        """`handle` for adapters on an event loop: an unknown paper is fetched from arXiv in a
        worker thread, so other commands keep being answered meanwhile. Never raises."""
        limited = self._limited(request)
        if limited is not None:
            return limited
        command = self._parse(request)
        if (
            isinstance(command, g.PaperLookup)
            and self.lookups is not None
            and self.needs_metadata(command.arxiv_id)
        ):
            try:
                papers = await self.lookups.lookup_async([command.arxiv_id], request.user or "")
                self.store.upsert_papers(papers)
            except LookupBusy:
                return Reply(
                    "I'm still looking up your previous paper on arXiv; ask again when it's "
                    "answered, e.g. `paper 2104.00743`.",
                    ok=False,
                )
            except LookupFailed as exc:
                if self.needs_metadata(command.arxiv_id):
                    return lookup_failed(command.arxiv_id, str(exc))
        return self._answer(command, request, fetch=False)

    # -- what adapters ask before they hand a message over -----------------------------------

    @staticmethod
    def looks_like_command(text: str) -> bool:
        """A bare number or a command word first: in the bot's own thread, that is for it."""
        return g.starts_like_a_command(text)

    @staticmethod
    def pasted_paper(text: str, *, in_thread: bool = False) -> str | None:
        """The arXiv id a message is about when it only pastes a paper (a link or an id)."""
        command = g.parse_command(text, in_thread=in_thread)
        return command.arxiv_id if isinstance(command, g.PaperLookup) else None

    @staticmethod
    def understands(text: str, *, in_thread: bool = False) -> bool:
        """Whether the text is a command (or a pasted paper) when nobody addressed the bot."""
        return g.parse_command(text, in_thread=in_thread, addressed=False) is not None

    def is_digest_thread(self, platform: str, channel: str, thread: str) -> bool:
        """Whether `thread` is one of the bot's digest (or reply-digest) threads."""
        return self.store.deliveries.for_thread(platform, channel, thread) is not None

    def search_reply(self, words: str, timezone: str | None = None) -> Reply:
        """`search WORDS [CATEGORY ...] [PERIOD]` for a reader that is not a chat (the web): no
        command rate limits (the reader has its own) and no arXiv lookups. Never raises."""
        request = Request(text=f"search {words}", timezone=timezone, addressed=True)
        command = self._parse(request)
        if not isinstance(command, g.Search | g.Invalid):
            return Reply("Type some words to search for, e.g. `diffusion video`.", ok=False)
        reply = self._answer(command, request, fetch=False)
        return reply or Reply("Type some words to search for.", ok=False)

    def needs_metadata(self, arxiv_id: str) -> bool:
        """Unknown, or known only from attention (a placeholder without a title)."""
        paper = self.store.get_paper(arxiv_id)
        return paper is None or not paper.title

    def _limited(self, request: Request) -> Reply | None:
        return self.limiter.check(request) if self.limiter is not None else None

    @staticmethod
    def _parse(request: Request) -> g.Command | None:
        return g.parse_command(
            request.text, in_thread=request.thread is not None, addressed=request.addressed
        )

    def _answer(self, command: g.Command | None, request: Request, *, fetch: bool) -> Reply | None:
        if command is None:
            return None
        try:
            with self.store.time_budget(self.settings.command_seconds):
                return self._dispatch(command, request, fetch=fetch)
        except sqlite3.OperationalError as exc:
            if "interrupted" not in str(exc):
                log.exception("command failed: %r", request.text[:200])
                return went_wrong()
            log.warning(
                "command cut off after %ss: %r", self.settings.command_seconds, request.text[:200]
            )
            return Reply(
                "That one takes me too long to answer. Narrow it down with a category or a "
                "shorter period, e.g. `top 5 cs.CV today` or `search diffusion cs.CV this week`.",
                ok=False,
            )
        except StorageError as exc:
            log.error("command failed: %s", exc)  # one line: what is wrong with which file
            return Reply(
                "Sorry, I can't read my database right now; the bot's operator has been told. "
                "Try again later, or `help` for examples.",
                ok=False,
            )
        except Exception:
            log.exception("command failed: %r", request.text[:200])
            return went_wrong()

    def _dispatch(self, command: g.Command, request: Request, *, fetch: bool = True) -> Reply:
        if isinstance(command, g.Invalid):
            return Reply(command.message, ok=False)
        spec = spec_for(command)
        handler = _HANDLERS.get(spec.handler) if spec is not None else None
        if handler is None:
            return Reply("I don't know that one. Try `help`.", ok=False)
        return handler(self, command, request, fetch)

    # -- handlers: one per registry handler key (bot/commands/registry.py) --------------------

    def _help(self, command: g.Help, _request: Request, _fetch: bool) -> Reply:
        return Reply(help_text(command.topic))

    def _categories(self, command: g.Categories, _request: Request, _fetch: bool) -> Reply:
        return Reply(categories_text(command.archive))

    def _subscriptions(self, command: g.Command, request: Request, _fetch: bool) -> Reply:
        if self.subscriptions is None:
            return Reply("Subscriptions are not available here.", ok=False)
        return self.subscriptions(command, request)

    def _alerts(self, command: g.Command, request: Request, _fetch: bool) -> Reply:
        if self.alerts is None:
            return Reply("Alerts are not available here.", ok=False)
        return self.alerts(command, request)

    def _top(self, command: g.Top, request: Request, _fetch: bool) -> Reply:
        result = self.digest(
            period=command.period,
            filters=command.filters,
            n=command.n,
            timezone=request.timezone,
            text=command.text,
            team=(request.platform, request.channel),
        )
        if isinstance(result, NoListing):
            return Reply(result.message, ok=False)
        notes = list(command.notes)
        if command.text and not result.items:
            notes.append(
                f"Nothing {command.text.label} with attention in {command.period.label}; "
                f"try a longer period or fewer words, e.g. `top 10 month about diffusion`."
            )
        digest = with_notes(result, notes)
        return Reply(render_digest_text(digest), digest=digest)

    def _trending(self, command: g.Trending, request: Request, _fetch: bool) -> Reply:
        now = self.clock()
        notes = list(command.notes)
        until = now
        latest = self.store.latest_observation_time()
        if latest is not None and latest < now - timedelta(hours=command.hours):
            until = latest + timedelta(seconds=1)
            notes.append(
                f"Nothing new in the last {command.hours} h; showing the {command.hours} h "
                f"before the latest attention I have ({latest:%Y-%m-%d %H:%M} UTC)."
            )
        since = until - timedelta(hours=command.hours)
        ranked = self.store.trending(
            since, until, union_of(command.filters), command.n, match=match_of(command.text)
        )
        title = f"Trending papers, last {command.hours} h"
        title += filter_suffix(command.filters, command.text)
        digest = self._build(
            title, ranked, command.filters, f"trending {command.hours}h", until.date(), notes
        )
        return Reply(render_digest_text(digest), digest=digest)

    def _new(self, command: New, request: Request, _fetch: bool) -> Reply:
        today = self._today(request.timezone)
        listing = resolve_period(g.Period("today"), self.store, today)
        if isinstance(listing, NoListing):
            return Reply(listing.message, ok=False)
        day = listing.end
        ranked = self.store.top(
            day,
            day,
            union_of(command.filters),
            100_000,
            float("-inf"),
            match=match_of(command.text),
        )
        papers = self.store.get_papers(r.paper_id for r in ranked)
        by_time = sorted(ranked, key=lambda r: _submitted(papers.get(r.paper_id)), reverse=True)
        if not by_time:
            return Reply(f"No papers in the {day} listing for that. Try `new 5`.", ok=False)
        title = f"New papers {day}" + filter_suffix(command.filters, command.text)
        notes = [*listing.notes, *command.notes]
        digest = self._build(title, by_time[: command.n], command.filters, str(day), day, notes)
        return Reply(render_digest_text(digest), digest=digest)

    def _search(self, command: g.Search, request: Request, _fetch: bool) -> Reply:
        start = end = None
        notes: list[str] = []
        if command.period is not None:
            period = resolve_period(command.period, self.store, self._today(request.timezone))
            if isinstance(period, NoListing):
                return Reply(period.message, ok=False)
            start, end, notes = period.start, period.end, list(period.notes)
        ranked = self.store.search(command.words, union_of(command.filters), start, end, command.n)
        if not ranked:
            return Reply(
                f"No papers match “{command.words}”. Try fewer or other words, "
                f"e.g. `search diffusion video`.",
                ok=False,
            )
        title = f"Search: {command.words}" + filter_suffix(command.filters)
        digest = self._build(title, ranked, command.filters, "search", end, notes)
        return Reply(render_digest_text(digest), digest=digest)

    def _paper(self, command: g.PaperLookup, request: Request, fetch: bool) -> Reply:
        arxiv_id = command.arxiv_id
        item = self.paper_item(arxiv_id)
        if fetch and self.lookups is not None and (item is None or not item.paper.title):
            try:
                self.store.upsert_papers(self.lookups.lookup([arxiv_id]))
            except LookupFailed as exc:
                if item is None:
                    return lookup_failed(arxiv_id, str(exc))
            item = self.paper_item(arxiv_id)
        if item is None:
            return Reply(
                f"I don't know arXiv:{arxiv_id} (yet). Check the id, or try a link like "
                f"`paper https://arxiv.org/abs/2104.00743`.",
                ok=False,
            )
        item = self.team.annotate_item(item, request.platform, request.channel)
        return Reply(render_paper_text(item), paper=item)

    def _details(self, command: g.Details, request: Request, _fetch: bool) -> Reply:
        number = command.item
        if request.thread is None:
            return Reply("Reply with a number inside a digest's thread, e.g. `3`.", ok=False)
        delivery = self.store.deliveries.for_thread(
            request.platform, request.channel, request.thread
        )
        if delivery is None:
            return Reply(
                "I can't find a digest in this thread. Ask for one with `top 5 today`.", ok=False
            )
        ids = self.store.deliveries.items(delivery.id)
        if not 1 <= number <= len(ids):
            span = f"`1` to `{len(ids)}`" if ids else "nothing"
            return Reply(f"That digest has {len(ids)} items; try {span}.", ok=False)
        item = self.paper_item(ids[number - 1], rank=number)
        if item is None:
            return Reply(f"Item {number} is no longer in my store.", ok=False)
        item = self.team.annotate_item(item, request.platform, request.channel)
        return Reply(render_paper_text(item), paper=item)

    # -- deliveries and ingest ---------------------------------------------------------------

    def record_reply(
        self, request: Request, reply: Reply, message_ids: Sequence[str], thread: str
    ) -> None:
        """Remember a digest sent as a reply, so `3` in its thread can be answered later, and a
        paper card, so the team's reactions on it count."""
        if reply.paper is not None:
            paper_id = reply.paper.paper.arxiv_id
            self.team.remember_card(
                request.platform, request.channel, message_ids, paper_id, thread
            )
            return
        if reply.digest is None or not reply.digest.items:
            return
        key = f"reply:{thread}:{message_ids[0] if message_ids else ''}"
        delivery, _ = self.store.deliveries.begin(
            request.platform,
            request.channel,
            key,
            kind="reply",
            digest_date=reply.digest.date,
            filter=" ".join(reply.digest.filter),
            paper_ids=[i.paper.arxiv_id for i in reply.digest.items],
        )
        self.store.deliveries.mark_sent(delivery.id, message_ids, thread)

    def ingest(
        self, papers: Iterable[Paper] = (), observations: Iterable[Observation] = ()
    ) -> None:
        self.store.upsert_papers(papers)
        self.store.upsert_observations(observations)


Handler = Callable[[Engine, Any, Request, bool], Reply]
_HANDLERS: dict[str, Handler] = {
    "top": Engine._top,
    "trending": Engine._trending,
    "paper": Engine._paper,
    "search": Engine._search,
    "new": Engine._new,
    "details": Engine._details,
    "subscriptions": Engine._subscriptions,
    "alerts": Engine._alerts,
    "categories": Engine._categories,
    "help": Engine._help,
    "team": team_answer,
}


def _submitted(paper: Paper | None) -> tuple[datetime, str]:
    floor = datetime.min.replace(tzinfo=UTC)
    return (paper.submitted or floor, paper.arxiv_id) if paper else (floor, "")
