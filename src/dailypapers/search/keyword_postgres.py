"""Keyword search on PostgreSQL: a tsvector per paper with a GIN index.

The table ``search_document`` is created by this app's migrations on
PostgreSQL only; ``sync()`` fills it from the catalog in one statement.
Title words weigh A, abstract B, author names C, so ``ts_rank`` favours titles.
"""

from collections.abc import Sequence

from django.db import connection

from .documents import SearchFilters
from .query import ParsedQuery

# ts_rank weights for {D, C, B, A}: title (A) above abstract (B) above authors (C),
# and normalisation 1 (divide by 1 + log of the length) so long abstracts do not
# win by length alone; picked on the tuning half of SciFact (bench/relevance.py).
RANK_WEIGHTS = "{0, 0.3, 0.75, 1.0}"
RANK_NORMALIZATION = 1

CREATE_TABLE = """
CREATE TABLE search_document (
    paper_id varchar(40) PRIMARY KEY,
    changed_at timestamptz NOT NULL,
    document tsvector NOT NULL
);
CREATE INDEX search_document_gin ON search_document USING gin (document);
CREATE INDEX search_document_changed ON search_document (changed_at);
"""

# Hyphenated words are indexed split and joined ("block-wise" -> also "blockwise").
_COMPOUNDS = """array_to_string(ARRAY(
    SELECT replace(m[1], '-', '') FROM regexp_matches({0}, '(\\w+(?:-\\w+)+)', 'g') AS m), ' ')"""

SYNC = f"""
WITH changed AS (
    SELECT arxiv_id, changed_at, title, abstract FROM papers_paper
    WHERE changed_at >= coalesce((SELECT max(changed_at) FROM search_document), '-infinity')
), names AS (
    -- One set-based join: a subquery per paper picks a poor plan on fresh statistics.
    SELECT pa.paper_id, string_agg(a.name, ' ') AS names
    FROM changed c
    JOIN papers_authorship pa ON pa.paper_id = c.arxiv_id
    JOIN papers_author a ON a.id = pa.author_id
    GROUP BY pa.paper_id
)
INSERT INTO search_document (paper_id, changed_at, document)
SELECT c.arxiv_id, c.changed_at,
       setweight(to_tsvector('english', c.title || ' ' || {_COMPOUNDS.format("c.title")}), 'A')
    || setweight(to_tsvector('english', c.abstract || ' ' || {_COMPOUNDS.format("c.abstract")}),
                 'B')
    || setweight(to_tsvector('simple', coalesce(n.names, '')), 'C')
FROM changed c LEFT JOIN names n ON n.paper_id = c.arxiv_id
ON CONFLICT (paper_id) DO UPDATE
SET changed_at = excluded.changed_at, document = excluded.document
-- The papers of the last sync's latest instant come again: unchanged, they are not counted.
WHERE search_document.changed_at <> excluded.changed_at
"""


DELETE_ORPHANS = """DELETE FROM {table} t
WHERE NOT EXISTS (SELECT 1 FROM papers_paper p WHERE p.arxiv_id = t.paper_id)"""


class PostgresFullText:
    def sync(self, *, rebuild: bool = False) -> int:
        with connection.cursor() as cursor:
            if rebuild:
                cursor.execute("TRUNCATE search_document")
            cursor.execute(SYNC)
            synced = cursor.rowcount
            # No foreign key (Django's flush could not truncate papers_paper past it):
            # documents of deleted papers go here instead.
            cursor.execute(DELETE_ORPHANS.format(table="search_document"))
            return synced

    def index_stored(self, ids: Sequence[str]) -> None:
        """Nothing while an import runs: the one ``sync()`` it ends with is one statement."""

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM search_document")
            return cursor.fetchone()[0]

    def ids(self) -> list[str]:
        """The paper id of every document. For checking the index against the catalog."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT paper_id FROM search_document")
            return [paper_id for (paper_id,) in cursor.fetchall()]

    def search(
        self, query: ParsedQuery, filters: SearchFilters, limit: int, among: set[str] | None = None
    ) -> list[tuple[str, float]]:
        words = [("plainto_tsquery('english', %s)", word) for word in query.words + query.joined]
        words += [("plainto_tsquery('simple', %s)", word) for word in query.words]
        words += [("phraseto_tsquery('english', %s)", " ".join(parts)) for parts in query.split]
        # What the catalog says the query also stands for: one more alternative among the
        # words. ts_rank divides an OR query's rank among its parts, so it needs no weight of
        # its own; ranked apart and added, its phrase outweighed all the words typed.
        words += [("phraseto_tsquery('english', %s)", " ".join(p)) for p in query.alternatives]
        phrases = [("phraseto_tsquery('english', %s)", " ".join(p)) for p in query.phrases]
        if not words and not phrases:
            return []
        word_sql, word_params = " || ".join(sql for sql, _ in words), [v for _, v in words]
        phrase_sql, phrase_params = " && ".join(s for s, _ in phrases), [v for _, v in phrases]
        # With a phrase, the phrase decides what matches and the words only rank.
        match_sql, match_params = (
            (phrase_sql, phrase_params) if phrases else (word_sql, word_params)
        )
        rank_sql, rank_params = match_sql, match_params
        if words and phrases:
            rank_sql, rank_params = f"{word_sql} || {phrase_sql}", word_params + phrase_params
        return self._ranked(
            (match_sql, match_params), (rank_sql, rank_params), filters, among, limit
        )

    def papers_holding(self, words: Sequence[str], up_to: int) -> dict[str, int]:
        """How many papers hold each word (title, abstract or author names), counted up to
        ``up_to`` (a word the analyser drops, a stop word, counts ``up_to``): whether a word
        is known or rare. The count stops there: a frequent word costs what a rare one does."""
        if not words:
            return {}
        counts = " UNION ALL ".join(
            [
                """SELECT %s, CASE WHEN numnode(plainto_tsquery('english', %s)) = 0 THEN %s
                ELSE (SELECT count(*) FROM (SELECT 1 FROM search_document
                      WHERE document @@ (plainto_tsquery('english', %s)
                                         || plainto_tsquery('simple', %s))
                      LIMIT %s) AS held) END"""
            ]
            * len(words)
        )
        params = [value for word in words for value in (word, word, up_to, word, word, up_to)]
        with connection.cursor() as cursor:
            cursor.execute(counts, params)
            return {word: int(count) for word, count in cursor.fetchall()}

    def containing_every_word(
        self, query: ParsedQuery, filters: SearchFilters, limit: int, among: set[str] | None = None
    ) -> set[str]:
        """Up to ``limit`` papers whose document holds every topic word of the query, best
        matches first (docs/search.md, Fusion)."""
        if not query.words:
            return set()
        every_word = (
            " && ".join(["plainto_tsquery('english', %s)"] * len(query.words)),
            list(query.words),
        )
        return {pid for pid, _ in self._ranked(every_word, every_word, filters, among, limit)}

    def _ranked(
        self,
        match: tuple[str, list],
        rank: tuple[str, list],
        filters: SearchFilters,
        among: set[str] | None,
        limit: int,
    ) -> list[tuple[str, float]]:
        """The papers whose document matches the tsquery ``match`` (SQL and its parameters),
        best by ``rank`` first."""
        conditions, filter_params = self._filters(filters, among)
        sql = f"""
            SELECT d.paper_id, ts_rank(%s, d.document, ({rank[0]}), %s) AS score
            FROM search_document d JOIN papers_paper p ON p.arxiv_id = d.paper_id
            WHERE d.document @@ ({match[0]}) {conditions}
            ORDER BY score DESC, d.paper_id LIMIT %s
        """
        params = [RANK_WEIGHTS, *rank[1], RANK_NORMALIZATION, *match[1], *filter_params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(paper_id, float(score)) for paper_id, score in cursor.fetchall()]

    def _filters(self, filters: SearchFilters, among: set[str] | None) -> tuple[str, list]:
        conditions, params = [], []
        if filters.published_from:
            conditions.append("p.published >= %s")
            params.append(filters.published_from)
        if filters.published_until:
            conditions.append("p.published <= %s")
            params.append(filters.published_until)
        if filters.category:
            conditions.append("(' ' || p.categories || ' ') LIKE %s")
            params.append(f"% {filters.category} %")
        if filters.organization:
            conditions.append(
                "p.organization_id = (SELECT id FROM papers_organization WHERE slug = %s)"
            )
            params.append(filters.organization)
        if among is not None:
            conditions.append("d.paper_id = ANY(%s)")
            params.append(list(among))
        return "".join(f" AND {c}" for c in conditions), params
