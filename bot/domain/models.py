"""Plain values shared by every layer: papers, observations, digests, requests and replies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Paper:
    """One arXiv paper, keyed by its canonical id without version (``2104.00743``)."""

    arxiv_id: str
    title: str
    authors: tuple[str, ...] = ()
    abstract: str = ""
    primary_category: str = ""
    categories: tuple[str, ...] = ()  # primary first, then cross-lists, arXiv's order
    listing_date: date | None = None
    submitted: datetime | None = None
    version: int | None = None

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.arxiv_id}"


@dataclass(frozen=True)
class Post:
    """A public post about a paper, kept for display (who said what, with a link)."""

    source: str  # "twitter", "bluesky", "mastodon", ...
    url: str
    author_name: str = ""
    author_handle: str = ""  # without a leading "@"
    text: str = ""  # plain text
    posted: date | datetime | None = None
    lang: str = ""
    html: str = ""  # the original embed HTML where a source gave one (the archive does)
    reposts: int = 0
    likes: int = 0


@dataclass(frozen=True)
class Observation:
    """Attention for one paper from one source, upserted by (source, key).

    ``kind`` is ``post`` (one public post with its own counters), ``aggregate``
    (a source that only reports totals: the archive, upvote sites) or ``embed``
    (a post kept for display only; it adds nothing to scores).
    """

    source: str
    key: str
    arxiv_id: str
    kind: str = "post"
    observed_at: datetime | None = None  # when posted (post) or measured (aggregate)
    account: str = ""
    reposts: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    followers: int | None = None
    is_repost: bool = False
    post: Post | None = None
    weight: float | None = None  # unused: the store derives post weights from the scoring settings


@dataclass(frozen=True)
class SourceScore:
    """The parts of one source's contribution to a paper's score."""

    source: str
    posts: int = 0
    accounts: int = 0
    reposts: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    weight: float = 1.0
    score: float = 0.0


@dataclass(frozen=True)
class Score:
    """A paper's score with every part that made it."""

    total: float
    parts: tuple[SourceScore, ...] = ()

    @property
    def reposts(self) -> int:
        return sum(p.reposts for p in self.parts)

    @property
    def likes(self) -> int:
        return sum(p.likes for p in self.parts)

    @property
    def posts(self) -> int:
        return sum(p.posts for p in self.parts)

    @property
    def accounts(self) -> int:
        return sum(p.accounts for p in self.parts)


@dataclass(frozen=True)
class TimelinePoint:
    """A paper's attention from one source on one UTC day (a chart's point)."""

    source: str
    day: date
    posts: int  # observations that day (posts, or an aggregate's one measurement)
    engagement: int  # reposts + likes of those observations


@dataclass(frozen=True)
class Discussion:
    """Where a paper is discussed on one source: its most engaged post (a Hacker News thread, the
    Hugging Face page...) with that post's counters, and how many posts the source has."""

    source: str  # "twitter", "bluesky", "mastodon", "hackernews", "huggingface", ...
    url: str  # http(s) only
    reposts: int = 0
    likes: int = 0  # points on Hacker News, upvotes on Hugging Face
    replies: int = 0  # comments on Hacker News and Hugging Face
    posts: int = 0  # the source's posts about the paper (0 for a page of totals)


@dataclass(frozen=True)
class DigestItem:
    rank: int
    paper: Paper
    score: Score
    posts: tuple[Post, ...] = ()
    measured_at: datetime | None = None  # when the counters were last refreshed
    discussions: tuple[Discussion, ...] = ()  # one per source, in SOURCE_ORDER (domain.discussion)
    team: int = 0  # members of the channel it is shown in who reacted to it (or replied)
    page_url: str | None = None  # its page on the site, on a paper card ([adapters.web] public_url)


@dataclass(frozen=True)
class PageLink:
    """The web page of a digest: its address and how many papers it lists ("see all 37")."""

    url: str
    papers: int


@dataclass(frozen=True)
class Digest:
    """Ranked items for one period and filter, ready for any renderer."""

    title: str  # "Hot Papers 2021-04-05 · cs.CV"
    date: date | None  # the listing date, or the last one of a range
    items: tuple[DigestItem, ...] = ()
    filter: tuple[str, ...] = ()  # the category filter as the user gave it, canonical
    period: str = ""  # "2021-04-05", "2021-03-30..2021-04-05", "trending 24h"
    notes: tuple[str, ...] = ()  # "No listing today; showing 2021-04-30." and the like
    generated_at: datetime | None = None
    page: PageLink | None = None  # set when `[adapters.web] public_url` is: the digest's page


@dataclass(frozen=True)
class Request:
    """A chat message as every adapter hands it to the engine."""

    text: str
    user: str = "console"
    channel: str = "console"
    thread: str | None = None  # the platform's id of the thread the message is in
    platform: str = "console"
    is_admin: bool = False
    timezone: str | None = None
    # Said to the bot, as the adapter knows from the platform event: a DM, a mention, a slash
    # command, the console; in the bot's own digest thread a bare number or a message starting
    # with a command word. Overheard talk is not. Never a default: every adapter must say.
    addressed: bool = field(kw_only=True)


@dataclass(frozen=True)
class Reply:
    """What the engine answers: plain text, and a digest when there is one to render."""

    text: str
    digest: Digest | None = None
    paper: DigestItem | None = None  # set by `paper` and `N` answers
    ok: bool = True
    extras: dict[str, str] = field(default_factory=dict)
