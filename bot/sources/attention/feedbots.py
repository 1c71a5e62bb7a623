"""Feed-bot down-weighting: accounts that post more than K arXiv links a day weigh less.

The rule is part of the scoring settings ([scoring] feed_bot_*, ScoringConfig.feed_bots) and is
defined once in bot/domain/scoring.py; the store applies it to every post it holds, at ingest and
whenever the settings change. This module only keeps the names the sources imported.
"""

from __future__ import annotations

from bot.domain.scoring import DayKey, FeedBotRule, day_key, feed_bot_days

__all__ = ["DayKey", "FeedBotRule", "day_key", "feed_bot_days"]
