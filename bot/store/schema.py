"""The database schema, as an ordered set of sqlite-utils migrations."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("hotpapers")


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
