"""Search latency on the real corpus, in-process, through ``search.service.search``.

    .venv/bin/python bench/search_latency.py [--postgres URL] [--scale 1000000]
        [--keyword-only [--engines tantivy,postgresql]]

Loads ../shared/data/arxiv-cs.jsonl.gz (100,636 papers) into a temporary
database, builds the keyword index and the embeddings (cached on disk by model
and text, so only the first run pays for them; that run reports embedding
throughput), then times 200 realistic queries: 1-3 keywords, quoted phrases,
author names and long natural-language descriptions, each kind drawn with a
fixed seed from the corpus itself. Reports p50/p99 per mode and query kind,
and process memory.

``--keyword-only`` skips the embeddings and times keyword search alone, with each keyword
engine ``--engines`` names (the configured one by default; PostgreSQL's full-text engine
needs ``--postgres``), on the same database in the same run.

``--scale N`` replicates the corpus under new ids up to N papers, with each
copy's vectors perturbed (noise, renormalised) so they are not duplicates.
"""

import argparse
import gzip
import json
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

CORPUS = harness.SHARED / "arxiv-cs.jsonl.gz"
STOP = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "via", "from", "by"}


def make_queries(rows: list[dict], count: int = 200) -> list[tuple[str, str]]:
    rng = random.Random(20261129)
    queries = []
    for n in range(count):
        row = rng.choice(rows)
        words = [
            w
            for w in row["title"].replace(":", " ").split()
            if w.lower() not in STOP and w.isalpha()
        ]
        kind = ("keywords", "phrase", "author", "natural language")[n % 4]
        if kind == "keywords" and words:
            text = " ".join(rng.sample(words, min(len(words), rng.randint(1, 3))))
        elif kind == "phrase" and len(words) >= 2:
            start = rng.randrange(len(words) - 1)
            text = f'"{words[start]} {words[start + 1]}"'
        elif kind == "author" and row["authors"]:
            text = rng.choice(row["authors"])
        else:
            kind = "natural language"
            # The gist of an abstract's first sentence, as a researcher would describe it.
            sentence = row["abstract"].replace("\n", " ").split(". ")[0]
            text = " ".join(sentence.split()[: rng.randint(12, 25)])
        queries.append((kind, text))
    return queries


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_catalog(rows: list[dict]) -> None:
    from dailypapers.ingest.formats import parse_arxiv_jsonl
    from dailypapers.papers.upserts import upsert_papers

    for start in range(0, len(rows), 5000):
        upsert_papers([parse_arxiv_jsonl(row) for row in rows[start : start + 5000]])


def copy_id(copy: int, n: int) -> str:
    # Ids from 2011 on: valid, and far from the corpus's 2025-2026 ids.
    return f"{copy + 10:02d}{n // 100000 + 1:02d}.{n % 100000:05d}"


def add_copies(rows: list[dict], scale: int) -> None:
    """Replicate the corpus under new ids up to ``scale`` papers, with perturbed vectors."""
    import numpy as np

    from dailypapers.ingest.formats import parse_arxiv_jsonl
    from dailypapers.papers.upserts import upsert_papers
    from dailypapers.search.models import PaperEmbedding

    rng = np.random.default_rng(7)
    originals = {e.paper_id: e for e in PaperEmbedding.objects.all()}
    made, copy = len(rows), 0
    while made < scale:
        copy += 1
        batch = [
            (row["id"], dict(row, id=copy_id(copy, n)))
            for n, row in enumerate(rows[: scale - made])
        ]
        for start in range(0, len(batch), 5000):
            chunk = batch[start : start + 5000]
            upsert_papers([parse_arxiv_jsonl(row) for _, row in chunk])
            embeddings = []
            for original_id, row in chunk:
                original = originals[original_id]
                vector = original.as_array()
                vector = vector + rng.normal(0, 0.02, vector.shape).astype(np.float32)
                vector /= np.linalg.norm(vector)
                embeddings.append(
                    PaperEmbedding(
                        paper_id=row["id"],
                        model=original.model,
                        text_hash=original.text_hash,
                        vector=vector.astype("<f4").tobytes(),
                    )
                )
            PaperEmbedding.objects.bulk_create(embeddings, batch_size=1000)
        made += len(batch)
        print(f"  {made} papers")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="server URL; a temporary database is created")
    parser.add_argument("--scale", type=int, default=0, help="replicate the corpus to N papers")
    parser.add_argument("--keyword-only", action="store_true", help="no embeddings")
    parser.add_argument("--engines", help="keyword engines to compare, comma-separated")
    args = parser.parse_args()
    if args.keyword_only and args.scale:
        parser.error("--scale replicates the embeddings too: not with --keyword-only")
    harness.require(CORPUS)
    label = harness.setup(args.postgres)

    from dailypapers.search import backends, service
    from dailypapers.search.indexing import (
        embed_pending,
        pending_embeddings,
        sync_keyword_index,
        update_vector_index,
    )

    with gzip.open(CORPUS, "rt") as lines:
        rows = [json.loads(line) for line in lines]
    started = time.perf_counter()
    load_catalog(rows)
    print(f"{label}: catalog loaded in {time.perf_counter() - started:.0f} s")
    harness.analyze()
    if args.keyword_only:
        from django.conf import settings

        queries = make_queries(rows)
        for engine in (args.engines or settings.KEYWORD_ENGINE).split(","):
            settings.KEYWORD_ENGINE = engine
            backends.reset()
            started = time.perf_counter()
            indexed = sync_keyword_index()
            elapsed = time.perf_counter() - started
            print(f"keyword index ({engine}): {indexed} papers in {elapsed:.0f} s")
            service.search("warm up", mode="keyword")
            time_mode(service, queries, "keyword", f"keyword ({engine})")
            # Where the time goes: the engine's ranking alone, then the ranked page of ids
            # (what the API answers from), then search() above, which loads the cards.
            time_step(lambda text: rank_only(service, text), queries, "  its ranking")
            time_step(
                lambda text: service.search_page(text, mode="keyword", limit=20),
                queries,
                "  search_page",
            )
        print(f"peak memory {rss_mb():.0f} MB")
        return
    pending = pending_embeddings().count()
    started = time.perf_counter()
    embed_pending(batch_size=1024)
    elapsed = time.perf_counter() - started
    print(
        f"embeddings: {pending} papers in {elapsed:.0f} s = {pending / elapsed:.1f} papers/s "
        "(cached vectors are not recomputed; see docs/benchmarks.md for a cold run)"
    )
    if args.scale:
        started = time.perf_counter()
        add_copies(rows, args.scale)
        print(f"scaled to {args.scale} papers in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    indexed = sync_keyword_index()
    print(f"keyword index: {indexed} papers in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    # What `dailypapers index` does: past HNSW_FROM vectors it builds the graph workers load.
    update_vector_index()
    vectors = backends.vector_index()
    print(f"vectors: {vectors.description}, ready in {time.perf_counter() - started:.0f} s")

    queries = make_queries(rows)
    backends.embedder().embed_query("warm up")
    service.search("warm up")
    for mode in ("keyword", "semantic", "hybrid"):
        # Each mode pays for embedding its queries, as a first search does.
        backends.embedder().embed_query.cache_clear()
        time_mode(service, queries, mode, mode)
    print(f"peak memory {rss_mb():.0f} MB")


def rank_only(service, text: str) -> None:
    from dailypapers.search.documents import SearchFilters
    from dailypapers.search.query import parse_query

    service.rank(parse_query(text), SearchFilters(), "keyword", service.CANDIDATES)


def time_step(step, queries: list[tuple[str, str]], label: str) -> None:
    times = []
    for _, text in queries:
        start = time.perf_counter()
        step(text)
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label}: p50 {statistics.median(times):6.1f} ms  p99 {percentile(times, 99):6.1f} ms")


def time_mode(service, queries: list[tuple[str, str]], mode: str, label: str) -> None:
    times: dict[str, list[float]] = {}
    for kind, text in queries:
        start = time.perf_counter()
        service.search(text, mode=mode, limit=20)
        times.setdefault(kind, []).append((time.perf_counter() - start) * 1000)
    everything = [t for values in times.values() for t in values]
    detail = ", ".join(f"{kind} p50 {statistics.median(v):.1f}" for kind, v in times.items())
    print(
        f"{label:>8}: p50 {statistics.median(everything):6.1f} ms  "
        f"p99 {percentile(everything, 99):6.1f} ms   ({detail})"
    )


if __name__ == "__main__":
    main()
