"""The one SQL expression of the scoring rules (bot/domain/scoring.py defines them).

`counted_totals_sql` turns any set of candidate observations into per (paper, source) totals: the
incremental aggregates, the full recompute and `trending` all go through it, so they count alike.
"""

from __future__ import annotations

from bot.domain.scoring import ScoringConfig

CANDIDATE_COLUMNS = (
    "id, paper_id, source, kind, account, reposts, likes, replies, quotes, weight, observed_at, "
    "is_repost"
)


def group_key_sql(scoring: ScoringConfig, o: str = "o") -> str:
    """The group an observation counts in (see domain.scoring.group_key)."""
    if not scoring.one_post_per_account:
        return f"{o}.key"
    return f"CASE WHEN {o}.kind = 'post' AND {o}.account <> '' THEN {o}.account ELSE {o}.key END"


def candidates_sql(scoring: ScoringConfig, where: str, o: str = "o", join: str = "") -> str:
    """Candidate rows (gkey + CANDIDATE_COLUMNS) from `observations {o} {join} WHERE {where}`
    (`join`: a filtering join that matches each observation at most once)."""
    columns = ", ".join(f"{o}.{c.strip()}" for c in CANDIDATE_COLUMNS.split(","))
    return (
        f"SELECT {group_key_sql(scoring, o)} AS gkey, {columns} FROM observations {o} {join} "
        f"WHERE {where}"
    )


def counted_rows_sql(candidates: str, scoring: ScoringConfig) -> str:
    """The rows that count among `candidates` (rows with a gkey and CANDIDATE_COLUMNS): only
    posts and aggregates, reposts only if they are posts, no excluded account, and of each
    (paper, source, gkey) only the most engaged row (ties: the first stored)."""
    reposts_count = int(scoring.reposts_are_posts)
    return f"""
        SELECT * FROM (
            SELECT c.*, row_number() OVER (
                PARTITION BY c.paper_id, c.source, c.gkey
                ORDER BY c.reposts + c.likes DESC, c.id) AS rank_in_group
            FROM ({candidates}) c
            WHERE c.kind IN ('post', 'aggregate')
              AND ({reposts_count} OR c.is_repost = 0)
              AND c.account NOT IN (SELECT account FROM excluded_accounts)
        )
        WHERE rank_in_group = 1
    """


def counted_totals_sql(candidates: str, scoring: ScoringConfig) -> str:
    """Per (paper, source) totals of the rows that count among `candidates` (counted_rows_sql).
    Columns: paper_id, source, posts, accounts, reposts, likes, replies, quotes, score (before
    source weights), measured_at."""
    return f"""
        SELECT paper_id, source, sum(kind = 'post') AS posts,
               count(DISTINCT CASE WHEN kind = 'post' AND account <> '' THEN account END)
                   AS accounts,
               sum(reposts) AS reposts, sum(likes) AS likes, sum(replies) AS replies,
               sum(quotes) AS quotes, sum((reposts + likes) * weight) AS score,
               max(observed_at) AS measured_at
        FROM ({counted_rows_sql(candidates, scoring)})
        GROUP BY paper_id, source
    """


def counted_scores_sql(candidates: str, scoring: ScoringConfig) -> str:
    """counted_totals_sql's paper_id, source and score alone (what a ranking reads): no
    distinct-account count to sort for."""
    return f"""
        SELECT paper_id, source, sum((reposts + likes) * weight) AS score
        FROM ({counted_rows_sql(candidates, scoring)})
        GROUP BY paper_id, source
    """


def source_weight_sql(scoring: ScoringConfig, source: str = "a.source") -> str:
    """A source's weight (domain: ScoringConfig.weight_of)."""
    weights = scoring.source_weights
    if not weights:
        return "1.0"
    cases = " ".join(
        f"WHEN '{s.replace(chr(39), '')}' THEN {float(w)!r}" for s, w in weights.items()
    )
    return f"(CASE {source} {cases} ELSE 1.0 END)"


def day_post_sql(o: str) -> str:
    """Posts that count towards the feed-bot rule's (source, account, UTC day) (domain: day_key)."""
    return (
        f"{o}.kind = 'post' AND {o}.is_repost = 0 AND {o}.account <> '' "
        f"AND {o}.observed_at IS NOT NULL"
    )


def in_day_sql(o: str, d: str) -> str:
    """Observation {o} falls in the day of hp_days row {d} (a range the index can use)."""
    return (
        f"{o}.source = {d}.source AND {o}.account = {d}.account "
        f"AND {o}.observed_at >= {d}.day || 'T00:00:00' AND {o}.observed_at < {d}.day || 'T99'"
    )
