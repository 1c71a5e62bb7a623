"""The database schema, as an ordered set of sqlite-utils migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

from bot.store.migrations import MIGRATIONS_TABLE, LazyMigrations, migrations

__all__ = ["MIGRATIONS_TABLE", "LazyMigrations", "migrations"]


@migrations()
def m001_core(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE papers (
            arxiv_id TEXT PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            abstract TEXT NOT NULL DEFAULT '',
            primary_category TEXT NOT NULL DEFAULT '',
            categories TEXT NOT NULL DEFAULT '',
            listing_date TEXT,
            submitted TEXT,
            version INTEGER
        );
        -- One row per paper: its score and the totals behind it, kept current on ingest.
        CREATE TABLE paper_scores (
            paper_id TEXT PRIMARY KEY,
            listing_date TEXT,
            score REAL NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            posts INTEGER NOT NULL DEFAULT 0,
            accounts INTEGER NOT NULL DEFAULT 0,
            measured_at TEXT
        );
        CREATE INDEX paper_scores_by_date ON paper_scores (listing_date, score DESC);
        -- One row per (category, paper), cross-lists included, with the score copied in so that
        -- "top N in a category on a day" is one index range scan.
        CREATE TABLE paper_categories (
            category TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            listing_date TEXT,
            score REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (category, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX paper_categories_by_date ON paper_categories (category, listing_date, score DESC);
        CREATE INDEX paper_categories_by_paper ON paper_categories (paper_id);
        CREATE TABLE observations (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            key TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'post',
            observed_at TEXT,
            account TEXT NOT NULL DEFAULT '',
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            quotes INTEGER NOT NULL DEFAULT 0,
            followers INTEGER,
            is_repost INTEGER NOT NULL DEFAULT 0,
            weight REAL NOT NULL DEFAULT 1.0,
            url TEXT NOT NULL DEFAULT '',
            author_name TEXT NOT NULL DEFAULT '',
            author_handle TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT '',
            html TEXT NOT NULL DEFAULT '',
            UNIQUE (source, key)
        );
        CREATE INDEX observations_by_paper ON observations (paper_id);
        CREATE INDEX observations_by_time ON observations (observed_at);
        -- Per (paper, source) totals under the counting rules; ranking never scans observations.
        CREATE TABLE attention (
            paper_id TEXT NOT NULL,
            source TEXT NOT NULL,
            posts INTEGER NOT NULL DEFAULT 0,
            accounts INTEGER NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            likes INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            quotes INTEGER NOT NULL DEFAULT 0,
            score REAL NOT NULL DEFAULT 0,
            measured_at TEXT,
            PRIMARY KEY (paper_id, source)
        ) WITHOUT ROWID;
        CREATE TABLE excluded_accounts (
            account TEXT PRIMARY KEY
        ) WITHOUT ROWID;
        CREATE TABLE cursors (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'digest',
            digest_date TEXT,
            filter TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'intent',
            thread TEXT,
            message_ids TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            sent_at TEXT,
            error TEXT,
            UNIQUE (platform, channel, key)
        );
        CREATE INDEX deliveries_by_thread ON deliveries (platform, channel, thread);
        CREATE TABLE delivery_items (
            delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
            rank INTEGER NOT NULL,
            paper_id TEXT NOT NULL,
            PRIMARY KEY (delivery_id, rank)
        ) WITHOUT ROWID;
        CREATE TABLE subscriptions (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            filters TEXT NOT NULL DEFAULT '',
            n INTEGER NOT NULL DEFAULT 5,
            at TEXT NOT NULL DEFAULT '09:00',
            timezone TEXT NOT NULL DEFAULT 'UTC',
            days TEXT,
            options TEXT NOT NULL DEFAULT '{}',
            status TEXT NOT NULL DEFAULT 'active',
            created_by TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            origin TEXT NOT NULL DEFAULT 'chat',
            UNIQUE (platform, channel, filters)
        );
        """
    )
    db["papers"].enable_fts(  # type: ignore[union-attr]
        ["title", "abstract", "authors"], fts_version="FTS5", create_triggers=True
    )


@migrations()
def m002_fast_reads(db: Database) -> None:
    """Indexes for arXiv scale: a paper's most engaged posts, and a covering scan for trending."""
    db.executescript(
        """
        DROP INDEX IF EXISTS observations_by_paper;
        CREATE INDEX IF NOT EXISTS observations_by_paper_engagement
            ON observations (paper_id, (reposts + likes) DESC, id);
        DROP INDEX IF EXISTS observations_by_time;
        CREATE INDEX IF NOT EXISTS observations_by_time_covering
            ON observations (observed_at, paper_id, kind, is_repost, account, reposts, likes,
                             weight);
        """
    )


@migrations()
def m003_attention_groups(db: Database) -> None:
    """Look up one account's posts about a paper, so ingest updates aggregates incrementally."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS observations_by_group
            ON observations (paper_id, source, account);
        """
    )


@migrations()
def m004_scores_in_order(db: Database) -> None:
    """Papers best score first: `search` walks it for common words."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS paper_scores_by_score ON paper_scores (score DESC, paper_id)"
    )


@migrations()
def m005_rowid_scores_and_archives(db: Database) -> None:
    """Scores reachable from a full-text hit's rowid (search ranks its matches through one
    covering index), and archive rows in paper_categories (`cs.*`: an archive filter is one
    index range scan instead of one per category)."""
    from bot.store.categories import archive_members

    conn = db.conn
    conn.execute("ALTER TABLE paper_scores ADD COLUMN paper_rowid INTEGER")
    conn.execute(
        "UPDATE paper_scores SET paper_rowid = "
        "(SELECT rowid FROM papers WHERE arxiv_id = paper_scores.paper_id)"
    )
    conn.execute(
        "CREATE INDEX paper_scores_by_rowid ON paper_scores (paper_rowid, score, paper_id)"
    )
    conn.execute("DROP INDEX IF EXISTS paper_scores_by_score")
    conn.execute(
        "CREATE INDEX paper_scores_by_score_rowid "
        "ON paper_scores (score DESC, paper_id, paper_rowid)"
    )
    conn.execute("CREATE TEMP TABLE hp_archive_map (category TEXT, archive TEXT)")
    conn.executemany(
        "INSERT INTO hp_archive_map (category, archive) VALUES (?, ?)",
        [(cat, key) for key, members in archive_members().items() for cat in members],
    )
    conn.execute(
        """
        INSERT OR IGNORE INTO paper_categories (category, paper_id, listing_date, score)
        SELECT m.archive, pc.paper_id, pc.listing_date, pc.score
        FROM hp_archive_map m CROSS JOIN paper_categories pc ON pc.category = m.category
        ORDER BY 1, 2
        """
    )
    conn.execute("DROP TABLE temp.hp_archive_map")


@migrations()
def m006_delivery_claims(db: Database) -> None:
    """Deliveries claimed with a lease before sending (owner + expiry in Unix seconds), so two
    processes on one database never send the same digest; a dead owner's claim expires."""
    conn = db.conn
    conn.execute("ALTER TABLE deliveries ADD COLUMN claimed_by TEXT")
    conn.execute("ALTER TABLE deliveries ADD COLUMN claimed_until REAL")


@migrations()
def m007_scoring_account_days(db: Database) -> None:
    """One account's posts of one day, by time: the feed-bot rule counts a day's papers at ingest.
    Trending counts like top (one row per group, replies and quotes in the parts): its covering
    index by time holds the columns that needs.
    The scoring settings in force now live in meta (scoring_config), set by Store.apply_scoring;
    a database scored before (its weights frozen at ingest) is rescored by its first one."""
    db.executescript(
        """
        CREATE INDEX IF NOT EXISTS observations_by_account_day
            ON observations (source, account, observed_at, paper_id);
        DROP INDEX IF EXISTS observations_by_time_covering;
        CREATE INDEX observations_by_time_covering
            ON observations (observed_at, paper_id, source, kind, is_repost, account, key,
                             reposts, likes, replies, quotes, weight);
        UPDATE meta SET value = 'scored before m007' WHERE key = 'scoring';
        """
    )


@migrations()
def m008_undescribed_papers(db: Database) -> None:
    """The placeholders an observation leaves (no metadata yet), found without a scan: each
    ingest run looks the ones with the most attention up on arXiv."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS papers_undescribed ON papers (arxiv_id) WHERE title = ''"
    )


@migrations()
def m009_jetstream(db: Database) -> None:
    """Bluesky's attention from Jetstream: the posts linking arXiv being tracked (with counters
    kept from the stream) and every like, repost, reply and quote counted, keyed by its own
    at:// URI so a replayed event changes nothing and a delete takes exactly it back."""
    db.executescript(
        """
        CREATE TABLE jetstream_posts (
            uri TEXT PRIMARY KEY,
            did TEXT NOT NULL,
            arxiv_ids TEXT NOT NULL,
            created_at TEXT NOT NULL,
            text TEXT NOT NULL DEFAULT '',
            lang TEXT NOT NULL DEFAULT '',
            likes INTEGER NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            replies INTEGER NOT NULL DEFAULT 0,
            quotes INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX jetstream_posts_by_time ON jetstream_posts (created_at);
        CREATE TABLE jetstream_engagements (
            uri TEXT PRIMARY KEY,
            subject TEXT NOT NULL,
            kind TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX jetstream_engagements_by_subject ON jetstream_engagements (subject);
        """
    )


# The later migrations (m010 onwards) register after these, in order.
from bot.store import schema_2026  # noqa: E402, F401
