"""Full-text search over title, abstract and authors (FTS5), matches ranked by score."""

from __future__ import annotations

import math
import sqlite3
from datetime import date

from bot.store.categories import category_keys
from bot.store.ranking import Ranked

SEARCH_RANK_ALL = 3_000  # at most this many matches: look each one's score up by rowid
SEARCH_SET = 200_000  # at most this many: walk papers by score, each tested against the matches
# ... and fewer on a smaller database: the set costs ~0.2 us a match, the walk by probes ~40 us a
# paper over about limit x papers / matches papers, even at sqrt(1000 x papers) matches (measured at
# 300k papers: 20k matches, set 5-9 ms, probes 4.8 ms).
SET_FACTOR = 1_000
SEARCH_WALK = 200_000  # at most this many papers walked for one search


class Search:
    """Store methods for `search`: the scores are the ones `top` ranks by."""

    conn: sqlite3.Connection

    def search(
        self,
        words: str,
        categories: frozenset[str] | None,
        start: date | None,
        end: date | None,
        limit: int,
    ) -> list[Ranked]:
        """Full-text search over title, abstract and authors; best attention first among matches.

        Without a period every match counts, best score first, by one of three plans chosen by
        how many papers match (counted in the full-text index, up to SEARCH_SET + 1):
        - at most SEARCH_RANK_ALL: each match's score through the rowid-keyed covering index
          paper_scores_by_rowid, the best `limit` kept by SQLite's top-k sorter;
        - at most sqrt(SET_FACTOR x papers), up to SEARCH_SET: SQLite lists the matching rowids once (an ephemeral index) and
          walks papers best score first until `limit` of them are in it;
        - more: papers walked best score first, each tested with one full-text probe (a word
          that common matches within the first few hundred papers).
        With a period: the 2,000 best matches by bm25, by score.
        """
        query = fts_query(words)
        if not query:
            return []
        cat_clause = ""
        cat_params: list[object] = []
        if categories:
            keys = category_keys(categories)
            cat_clause = (
                f"AND EXISTS (SELECT 1 FROM paper_categories pc WHERE pc.paper_id = s.paper_id "
                f"AND pc.category IN ({','.join('?' * len(keys))}))"
            )
            cat_params = list(keys)
        if not (start and end):
            return self._search_all(query, cat_clause, cat_params, limit)
        params: list[object] = [query, start.isoformat(), end.isoformat(), *cat_params, limit]
        rows = self.conn.execute(
            f"""
            SELECT s.paper_id, s.score FROM (
                SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? ORDER BY rank LIMIT 2000
            ) hits
            CROSS JOIN paper_scores s ON s.paper_rowid = hits.rowid
            WHERE s.listing_date BETWEEN ? AND ? {cat_clause}
            ORDER BY s.score DESC, s.paper_id LIMIT ?
            """,
            params,
        ).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def _search_all(
        self, query: str, cat_clause: str, cat_params: list[object], limit: int
    ) -> list[Ranked]:
        (papers,) = self.conn.execute("SELECT max(rowid) FROM papers").fetchone()
        set_limit = min(SEARCH_SET, max(SEARCH_RANK_ALL, math.isqrt(SET_FACTOR * (papers or 0))))
        (matches,) = self.conn.execute(
            "SELECT count(*) FROM (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ? LIMIT ?)",
            (query, set_limit + 1),
        ).fetchone()
        if matches <= SEARCH_RANK_ALL:
            sql = (
                f"SELECT s.paper_id, s.score FROM papers_fts f "
                f"CROSS JOIN paper_scores s ON s.paper_rowid = f.rowid "
                f"WHERE papers_fts MATCH ? {cat_clause} "
                f"ORDER BY s.score DESC, s.paper_id LIMIT ?"
            )
        elif matches <= set_limit:
            sql = (
                f"SELECT s.paper_id, s.score FROM paper_scores s "
                f"INDEXED BY paper_scores_by_score_rowid "
                f"WHERE s.paper_rowid IN (SELECT rowid FROM papers_fts WHERE papers_fts MATCH ?) "
                f"{cat_clause} ORDER BY s.score DESC, s.paper_id LIMIT ?"
            )
        else:
            return self._search_by_probes(query, cat_clause, cat_params, limit)
        rows = self.conn.execute(sql, [query, *cat_params, limit]).fetchall()
        return [Ranked(r[0], r[1]) for r in rows]

    def _search_by_probes(
        self, query: str, cat_clause: str, cat_params: list[object], limit: int
    ) -> list[Ranked]:
        """Very common words: papers best score first, kept when they match (one probe each)."""
        found: list[Ranked] = []
        walk = self.conn.execute(
            f"SELECT s.paper_id, s.score, s.paper_rowid FROM paper_scores s "
            f"INDEXED BY paper_scores_by_score_rowid WHERE 1 {cat_clause} "
            f"ORDER BY s.score DESC, s.paper_id",
            cat_params,
        )
        probe = "SELECT 1 FROM papers_fts WHERE papers_fts MATCH ? AND rowid = ?"
        for walked, (paper_id, score, rowid) in enumerate(walk):
            if self.conn.execute(probe, (query, rowid)).fetchone():
                found.append(Ranked(paper_id, score))
                if len(found) >= limit:
                    break
            if walked >= SEARCH_WALK:
                break
        walk.close()
        return found


def fts_query(words: str) -> str:
    """User words as a safe FTS5 query: every word must match, each quoted, no operators."""
    terms = []
    for raw in words.split():
        term = "".join(ch for ch in raw if ch.isalnum() or ch in "-_'")
        term = term.replace("'", "").strip("-_")
        if term:
            terms.append('"' + term.replace('"', "") + '"')
    return " ".join(terms[:20])
