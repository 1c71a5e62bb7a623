"""`top`, `new` and `trending` narrowed by a topic or author (an FTS5 MATCH expression built by
bot/domain/topics.py). The unfiltered rankings (ranking.py) keep their own one-index plans.

Two plans, chosen by how many papers match in the full-text index (counted up to
FEW_MATCHES + 1), as search.py chooses:
- few matches: the matching rowids, each paper's score through paper_scores_by_rowid, the
  period and categories checked per match, the best `limit` kept by SQLite's top-k sorter;
- more, up to sqrt(SET_FACTOR x limit x papers): the cheaper (by the costs below) of the walk
  and the set: SQLite lists the matching rowids once and keeps the period's papers in it;
- many: the period's papers walked best score first, each tested with one full-text probe,
  until `limit` of them match (a common word matches within the first few papers).
"""

from __future__ import annotations

import math
import sqlite3

from bot.store.categories import category_keys

FEW_MATCHES = 3_000  # as search.py's SEARCH_RANK_ALL
WALK = 200_000  # at most this many papers walked (and probed) for one answer, as search's
SET_FACTOR = 200  # a probe costs about 200 times what one match costs in the set (search.py)

_PROBE = "SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? AND rowid = ?"


def _categories_clause(categories: frozenset[str] | None, paper: str) -> tuple[str, list[object]]:
    if not categories:
        return "", []
    keys = category_keys(categories)
    clause = (
        f"AND EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = {paper} "
        f"AND pc.category IN ({','.join('?' * len(keys))}))"
    )
    return clause, list(keys)


def few_matches(conn: sqlite3.Connection, match: str) -> bool:
    (count,) = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
        (match, FEW_MATCHES + 1),
    ).fetchone()
    return bool(count <= FEW_MATCHES)


def top_matching(
    conn: sqlite3.Connection,
    match: str,
    lo: str,
    hi: str,
    categories: frozenset[str] | None,
    limit: int,
    min_score: float,
) -> list[tuple[str, float]]:
    """Papers listed between lo and hi (ISO dates, inclusive) that match, best first."""
    cat_clause, cat_params = _categories_clause(categories, "s.paper_id")
    if few_matches(conn, match):
        rows = conn.execute(
            f"SELECT s.paper_id, s.score FROM papers_fts f "
            f"CROSS JOIN paper_scores s ON s.paper_rowid = f.rowid "
            f"WHERE papers_fts MATCH ? AND s.listing_date BETWEEN ? AND ? AND s.score >= ? "
            f"{cat_clause} ORDER BY s.score DESC, s.paper_id LIMIT ?",
            [match, lo, hi, min_score, *cat_params, limit],
        ).fetchall()
        return [(r[0], r[1]) for r in rows]
    if _set_is_cheaper(conn, match, lo, hi, min_score, limit):
        rows = conn.execute(
            f"SELECT s.paper_id, s.score FROM paper_scores s "
            f"WHERE s.listing_date BETWEEN ? AND ? AND s.score >= ? "
            f"AND s.paper_rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?) "
            f"{cat_clause} ORDER BY s.score DESC, s.paper_id LIMIT ?",
            [lo, hi, min_score, match, *cat_params, limit],
        ).fetchall()
        return [(r[0], r[1]) for r in rows]
    found: list[tuple[str, float]] = []
    walk = conn.execute(
        f"SELECT s.paper_id, s.score, s.paper_rowid FROM paper_scores s "
        f"WHERE s.listing_date BETWEEN ? AND ? AND s.score >= ? {cat_clause} "
        f"ORDER BY s.score DESC, s.paper_id",
        [lo, hi, min_score, *cat_params],
    )
    try:
        for walked, (paper_id, score, rowid) in enumerate(walk):
            if walked >= WALK:
                break
            if conn.execute(_PROBE, (match, rowid)).fetchone():
                found.append((paper_id, score))
                if len(found) >= limit:
                    break
    finally:
        walk.close()
    return found


def _set_is_cheaper(
    conn: sqlite3.Connection, match: str, lo: str, hi: str, min_score: float, limit: int
) -> bool:
    """The walk probes about min(period, limit x papers / matches) papers; the set costs one
    unit a match (a probe: SET_FACTOR units). Matches are counted only as far as that decides."""
    (papers,) = conn.execute("SELECT max(rowid) FROM papers").fetchone()
    cap = math.isqrt(SET_FACTOR * limit * (papers or 0))
    (matches,) = conn.execute(
        "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
        (match, cap + 1),
    ).fetchone()
    if matches > cap:
        return False
    (period,) = conn.execute(
        "SELECT count(*) FROM paper_scores WHERE listing_date BETWEEN ? AND ? AND score >= ?",
        (lo, hi, min_score),
    ).fetchone()
    probes = min(period, limit * (papers or 0) / max(matches, 1))
    return bool(matches < probes * SET_FACTOR)


def matching_clause(conn: sqlite3.Connection, match: str, paper: str) -> tuple[str, list[object]]:
    """A WHERE clause (and its parameters) keeping rows whose paper column `paper` matches."""
    if few_matches(conn, match):
        return (
            f" AND {paper} IN (SELECT s.paper_id FROM papers_fts f "
            f"CROSS JOIN paper_scores s ON s.paper_rowid = f.rowid WHERE papers_fts MATCH ?)",
            [match],
        )
    return (
        f" AND EXISTS (SELECT 1 FROM paper_scores s, papers_fts f WHERE s.paper_id = {paper} "
        f"AND f.rowid = s.paper_rowid AND papers_fts MATCH ?)",
        [match],
    )
