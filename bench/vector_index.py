"""The HNSW graph of the in-process vector index against the exact scan, at 100k and 1M vectors.

    .venv/bin/python bench/vector_index.py [--real 10000] [--sizes 100000 1000000]

Real vectors: the first ``--real`` papers of ../shared/data/arxiv-cs.jsonl.gz
embedded by the project's model (cached on disk by model and text, like the
other benchmarks). Each corpus size is reached as ``search_latency.py
--scale`` does: copies of the real vectors plus Gaussian noise (sigma 0.02 per
dimension), renormalised. Queries: 200 more such copies, not in the index.
``--random``: uniform random unit vectors instead, the hardest case for a graph.

For each size: the graph built with ``search/vectors.py``'s parameters (usearch,
and hnswlib too when it is installed, for comparison), its size on disk, the
time to load it (and, for usearch, to open it as a memory map), recall@10 and
recall@100 against the exact scan, and single-query latency p50 / p99.
"""

import argparse
import gzip
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.progress import Progress, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

CORPUS = harness.SHARED / "arxiv-cs.jsonl.gz"
QUERIES = 200


def real_vectors(count: int) -> np.ndarray:
    from dailypapers.search.embeddings import CachingEmbedder, EmbeddingCache, paper_text
    from dailypapers.search.minilm import MiniLMEmbedder

    with gzip.open(CORPUS, "rt") as lines:
        rows = [json.loads(line) for line, _ in zip(lines, range(count), strict=False)]
    model_dir = Path(tempfile.mkdtemp(prefix="dailypapers-bench-model-"))
    cache_file = os.environ.get("DAILYPAPERS_EMBEDDING_CACHE", harness.EMBEDDING_CACHE)
    cache = EmbeddingCache(Path(cache_file))
    embedder = CachingEmbedder(MiniLMEmbedder(model_dir), cache)
    texts = [paper_text(row["title"], row["abstract"]) for row in rows]
    started = time.perf_counter()
    # In chunks, each cached as it is done: an interrupted run resumes where it stopped.
    chunks = range(0, count, 2000)
    with Progress(*Progress.get_default_columns(), TimeElapsedColumn()) as progress:
        task = progress.add_task("embedding", total=count)
        parts = []
        for start in chunks:
            parts.append(embedder.embed_documents(texts[start : start + 2000]))
            progress.advance(task, len(parts[-1]))
    vectors = np.concatenate(parts)
    print(f"{count} real vectors in {time.perf_counter() - started:.0f} s ({embedder.name})")
    return vectors


def perturbed(source: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    picked = source[np.arange(count) % len(source)]
    noisy = picked + rng.normal(0, 0.02, picked.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def exact_top(corpus: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    scores = queries @ corpus.T
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def exact_search(corpus: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """What the index does below HNSW_FROM: one matrix product, then the best k."""
    scores = corpus @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def recall(found: list[np.ndarray], truth: np.ndarray, k: int) -> float:
    shares = [len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth, strict=True)]
    return float(np.mean(shares))


def timed_queries(search, queries: np.ndarray, k: int) -> tuple[list[np.ndarray], list[float]]:
    found, times = [], []
    for query in queries:
        start = time.perf_counter()
        keys = search(query, k)
        times.append((time.perf_counter() - start) * 1000)
        found.append(np.asarray(keys, dtype=np.int64))
    return found, times


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(label: str, found10, found100, times, truth10, truth100) -> None:
    print(
        f"  {label}: recall@10 {recall(found10, truth10, 10):.3f}, "
        f"recall@100 {recall(found100, truth100, 100):.3f}, "
        f"top-100 query p50 {statistics.median(times):.2f} ms, p99 {percentile(times, 99):.2f} ms"
    )


def bench_usearch(corpus, queries, truth10, truth100, folder: Path) -> None:
    from usearch.index import Index

    from dailypapers.search.vectors import HNSW_EF, HNSW_EF_CONSTRUCTION, HNSW_M

    started = time.perf_counter()
    index = Index(
        ndim=corpus.shape[1],
        metric="ip",
        dtype="f32",
        connectivity=HNSW_M,
        expansion_add=HNSW_EF_CONSTRUCTION,
        expansion_search=HNSW_EF,
    )
    index.add(np.arange(len(corpus), dtype=np.uint64), corpus)
    built = time.perf_counter() - started
    path = folder / "graph.usearch"
    index.save(path)
    del index
    started = time.perf_counter()
    loaded = Index.restore(path)
    loaded.expansion_search = HNSW_EF
    load_time = time.perf_counter() - started
    started = time.perf_counter()
    viewed = Index.restore(path, view=True)
    view_time = time.perf_counter() - started
    print(
        f"  usearch: built in {built:.0f} s, {path.stat().st_size / 1e6:.0f} MB on disk, "
        f"loaded in {load_time:.2f} s, opened as a memory map in {view_time * 1000:.1f} ms"
    )

    def search(query, k):
        return loaded.search(query, k).keys

    found10, _ = timed_queries(search, queries, 10)
    found100, times = timed_queries(search, queries, 100)
    report("usearch", found10, found100, times, truth10, truth100)
    viewed.expansion_search = HNSW_EF
    found100, times = timed_queries(lambda q, k: viewed.search(q, k).keys, queries, 100)
    report("usearch, memory-mapped", found10, found100, times, truth10, truth100)
    path.unlink()


def bench_hnswlib(corpus, queries, truth10, truth100) -> None:
    import hnswlib

    from dailypapers.search.vectors import HNSW_EF, HNSW_EF_CONSTRUCTION, HNSW_M

    started = time.perf_counter()
    index = hnswlib.Index(space="ip", dim=corpus.shape[1])
    index.init_index(max_elements=len(corpus), ef_construction=HNSW_EF_CONSTRUCTION, M=HNSW_M)
    index.add_items(corpus, np.arange(len(corpus)))
    index.set_ef(HNSW_EF)
    print(f"  hnswlib: built in {time.perf_counter() - started:.0f} s")

    def search(query, k):
        return index.knn_query(query, k=k)[0][0]

    found10, _ = timed_queries(search, queries, 10)
    found100, times = timed_queries(search, queries, 100)
    report("hnswlib", found10, found100, times, truth10, truth100)


def bench_size(corpus: np.ndarray, queries: np.ndarray, folder: Path) -> None:
    truth10, truth100 = exact_top(corpus, queries, 10), exact_top(corpus, queries, 100)
    _, times = timed_queries(lambda q, k: exact_search(corpus, q, k), queries[:20], 100)
    print(f"  exact scan: top-100 query p50 {statistics.median(times):.1f} ms")
    bench_usearch(corpus, queries, truth10, truth100, folder)
    if importlib.util.find_spec("hnswlib"):
        bench_hnswlib(corpus, queries, truth10, truth100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real", type=int, default=10_000, help="real vectors to embed")
    parser.add_argument(
        "--random", action="store_true", help="random unit vectors instead (no structure)"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    harness.require(CORPUS)
    harness.setup()  # search.vectors reads its parameters beside its Django model
    rng = np.random.default_rng(7)
    if args.random:
        from dailypapers.search.minilm import MiniLMEmbedder

        shape = (max(args.sizes), MiniLMEmbedder.dim)
        source = perturbed(np.zeros(shape, dtype=np.float32), max(args.sizes), rng)
        print("random unit vectors")
    else:
        source = real_vectors(args.real)
    queries = perturbed(source[rng.permutation(len(source))[:QUERIES]], QUERIES, rng)
    folder = Path(tempfile.mkdtemp(prefix="dailypapers-bench-graph-"))
    for size in args.sizes:
        if args.random:
            corpus = source[:size]
            print(f"{size:,} random unit vectors")
        else:
            corpus = np.vstack([source, perturbed(source, size - len(source), rng)])[:size]
            print(f"{size:,} vectors ({len(source):,} real, the rest perturbed copies)")
        bench_size(corpus, queries, folder)
        del corpus
    folder.rmdir()


if __name__ == "__main__":
    main()
