"""The schema's later migrations (m010 onwards), registered after bot/store/schema.py's in order:
subscriptions with topics and cadences, Jetstream reconciliation, alerts, the Bluesky feed, the
team's reactions, the covering group index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.migrations import migrations

if TYPE_CHECKING:
    from sqlite_utils import Database


@migrations()
def m010_subscription_text(db: Database) -> None:
    """Subscriptions take a topic (`about`), an author (`by`) and a cadence (daily, weekly,
    monthly): a channel may hold several for the same categories, so they are part of the
    subscription's identity (the table is rebuilt with the wider UNIQUE; ids are kept)."""
    db.executescript(
        """
        CREATE TABLE subscriptions_new (
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
            topic TEXT NOT NULL DEFAULT '',
            author TEXT NOT NULL DEFAULT '',
            cadence TEXT NOT NULL DEFAULT 'daily',
            UNIQUE (platform, channel, filters, topic, author, cadence)
        );
        INSERT INTO subscriptions_new (id, platform, channel, filters, n, at, timezone, days,
                                       options, status, created_by, created_at, origin)
            SELECT id, platform, channel, filters, n, at, timezone, days, options, status,
                   created_by, created_at, origin FROM subscriptions;
        DROP TABLE subscriptions;
        ALTER TABLE subscriptions_new RENAME TO subscriptions;
        """
    )


@migrations()
def m011_jetstream_reconcile(db: Database) -> None:
    """Reconciliation of tracked Bluesky posts with app.bsky.feed.getPosts: when each was last
    checked (oldest first), and the engagements the AppView counts that we hold no event of
    ("unattributed": counted in the counters, never an account); and the handles of the DIDs
    Jetstream gives (app.bsky.actor.getProfiles), so an author is one account in both modes."""
    db.executescript(
        """
        ALTER TABLE jetstream_posts ADD COLUMN checked_at TEXT NOT NULL DEFAULT '';
        ALTER TABLE jetstream_posts ADD COLUMN likes_unattributed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jetstream_posts ADD COLUMN reposts_unattributed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jetstream_posts ADD COLUMN replies_unattributed INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE jetstream_posts ADD COLUMN quotes_unattributed INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX jetstream_posts_by_check ON jetstream_posts (checked_at, created_at);
        CREATE TABLE bluesky_handles (
            did TEXT PRIMARY KEY,
            handle TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            checked_at TEXT NOT NULL
        ) WITHOUT ROWID;
        """
    )


@migrations()
def m012_alerts(db: Database) -> None:
    """Breakout alerts (`alert cs.CV above 300`): one row per channel and filter, and one row per
    (alert, paper) claimed BEFORE the paper is posted, in the same transaction as the post's
    delivery intent (deliveries, key `alert:ID:PAPER`), so a paper is posted once per alert even
    across kill -9. Alert ids are never reused (AUTOINCREMENT): their `alerts_sent` rows stay."""
    db.executescript(
        """
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            filters TEXT NOT NULL DEFAULT '',
            about TEXT NOT NULL DEFAULT '[]',
            author TEXT NOT NULL DEFAULT '',
            threshold REAL NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (platform, channel, filters, about, author)
        );
        CREATE TABLE alerts_sent (
            alert_id INTEGER NOT NULL,
            paper_id TEXT NOT NULL,
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            day TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            score REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (alert_id, paper_id)
        );
        CREATE INDEX alerts_sent_by_channel ON alerts_sent (platform, channel, day);
        CREATE INDEX alerts_sent_by_paper ON alerts_sent (platform, channel, paper_id);
        """
    )


@migrations()
def m013_feed(db: Database) -> None:
    """The Bluesky feed: a paper's most-engaged Bluesky post in one probe, however many posts
    from other sources it has (a partial index: Bluesky rows only)."""
    db.execute(
        "CREATE INDEX IF NOT EXISTS observations_bluesky_best "
        "ON observations (paper_id, (reposts + likes) DESC, id) WHERE source = 'bluesky'"
    )


@migrations()
def m014_team_reactions(db: Database) -> None:
    """The team's own attention: which of the bot's messages is about one paper (a paper card, a
    digest item in its thread), and the reactions and thread replies on them, one row per member
    (a salted hash, never the platform's user id) and emoji (hashed too), never message text."""
    db.executescript(
        """
        CREATE TABLE team_messages (
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            message_id TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            PRIMARY KEY (platform, channel, message_id)
        ) WITHOUT ROWID;
        CREATE INDEX team_messages_by_id ON team_messages (platform, message_id);
        CREATE TABLE team_reactions (
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            message_id TEXT NOT NULL,
            member TEXT NOT NULL,
            what TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (platform, channel, message_id, member, what)
        ) WITHOUT ROWID;
        CREATE INDEX team_reactions_by_paper ON team_reactions (platform, channel, paper_id);
        CREATE INDEX team_reactions_by_time ON team_reactions (platform, channel, at);
        """
    )


@migrations()
def m015_observations_v2(db: Database) -> None:
    """The group index (paper, source, account) carries the columns the counting rules read, so
    the incremental aggregates and the "Discussed on" lines read it alone: no lookup into the
    observations table per row (at 3M observations, a digest's discussions went from 22 ms to
    about 1 ms)."""
    db.executescript(
        """
        DROP INDEX IF EXISTS observations_by_group;
        CREATE INDEX observations_by_group
            ON observations (paper_id, source, account, kind, is_repost, reposts, likes, replies,
                             quotes, weight, observed_at);
        """
    )
