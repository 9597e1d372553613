"""Why Tantivy: SQLite FTS5 and Tantivy on the same corpus and the same queries.

    .venv/bin/python bench/keyword_engines.py

Indexes ../shared/data/arxiv-cs.jsonl.gz (title and abstract, English
stemming) in an FTS5 table (porter tokenizer) and in the project's Tantivy
index, then runs the 200 queries of bench/search_latency.py, parsed by the
project's query parser, as BM25 top-100 on each engine (OR of the words, AND
of quoted phrases). Prints build time and p50/p99 per query kind, and the ratio.
"""

import gzip
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402
from search_latency import CORPUS, load_catalog, make_queries, percentile  # noqa: E402


def fts5_query(parsed) -> str | None:
    words = " OR ".join(f'"{w}"' for w in (*parsed.words, *parsed.joined))
    phrases = " AND ".join(f'"{" ".join(p)}"' for p in parsed.phrases)
    if phrases:
        return f"({phrases}) AND ({words})" if words else phrases
    return words or None


def timed(run, queries) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {}
    for kind, text in queries:
        start = time.perf_counter()
        run(text)
        times.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: dict[str, list[float]]) -> float:
    everything = [t for values in times.values() for t in values]
    detail = ", ".join(
        f"{kind} {statistics.median(v):.1f}/{percentile(v, 99):.1f}" for kind, v in times.items()
    )
    p50 = statistics.median(everything)
    print(
        f"{name:>8}: p50 {p50:7.2f} ms  p99 {percentile(everything, 99):8.2f} ms  "
        f"(p50/p99 by kind: {detail})"
    )
    return p50


def main() -> None:
    harness.require(CORPUS)
    harness.setup()
    from dailypapers.search.documents import SearchFilters
    from dailypapers.search.indexing import sync_keyword_index
    from dailypapers.search.keyword_tantivy import TantivyIndex
    from dailypapers.search.query import parse_query

    with gzip.open(CORPUS, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    queries = make_queries(rows)

    with tempfile.TemporaryDirectory() as folder:
        db = sqlite3.connect(Path(folder) / "fts.sqlite3")
        started = time.perf_counter()
        db.execute(
            "CREATE VIRTUAL TABLE papers USING fts5(id UNINDEXED, title, abstract, "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        with db:
            db.executemany(
                "INSERT INTO papers VALUES (?, ?, ?)",
                [(r["id"], r["title"], r["abstract"]) for r in rows],
            )
        print(f"FTS5 index built in {time.perf_counter() - started:.1f} s")

        def fts5(text: str) -> list:
            match = fts5_query(parse_query(text))
            if match is None:
                return []
            return db.execute(
                "SELECT id FROM papers WHERE papers MATCH ? "
                "ORDER BY bm25(papers, 0, 2.0, 1.0) LIMIT 100",
                [match],
            ).fetchall()

        load_catalog(rows)
        started = time.perf_counter()
        sync_keyword_index()
        print(f"Tantivy index built in {time.perf_counter() - started:.1f} s (from the catalog)")
        from django.conf import settings

        tantivy = TantivyIndex(settings.SEARCH_INDEX_DIR / "keyword")

        def tantivy_search(text: str) -> list:
            return tantivy.search(parse_query(text), SearchFilters(), 100)

        fts5_p50 = report("FTS5", timed(fts5, queries))
        tantivy_p50 = report("Tantivy", timed(tantivy_search, queries))
        print(f"Tantivy is {fts5_p50 / tantivy_p50:.1f}× faster at p50 on these queries")


if __name__ == "__main__":
    main()
