"""Recommendations ("For you", issue 13): authors as readers, their next papers as what they want.

    .venv/bin/python bench/recommend.py [--rows 100000] [--cutoffs 2025-11-01 2026-02-01]
        [--users 1000] [--no-quality | --no-speed]

There is no public click log, so each author with at least ``--min-papers`` (8)
papers before a cut-off date in ../shared/data/arxiv-cs.jsonl.gz is a reader: the
profile is those papers (the latest 500, as liked), the candidates are every paper
of the 30 days after the cut-off, and the relevant ones are the author's own papers
among them. Author names are hidden from the ranker (otherwise following the
author trivially wins). ``--users`` readers are drawn per cut-off (seeded).

Reported per cut-off, recall@50 and nDCG@50 for the baselines (newest first, most
upvoted from ../shared/data/hf-daily.jsonl.gz else 0, BM25 with the profile's titles
and abstracts as the query, cosine to the profile's mean embedding) and for the
shipped ranker (``dailypapers.recommend``) with every signal the data lets us
simulate: liked papers, follows (the author's two most frequent categories),
dismissals (the 10 papers the ranker put first in the 30 days before the cut-off
that the author did not write), recency; then each signal taken away, each alone,
the community knob, and cold starts.

Then the speed of one page: a 500-paper profile ranked against the densest 7-day
window of the corpus, p50 and p95 over 200 profiles, for a reader's first page
(their papers' terms read as the indexer stores them beside the embeddings) and the
next (what the process kept), in process and through the catalog (SQLite).

Embeddings are the project's model's, read from the on-disk cache that the other
benchmarks fill (``paper_vectors``); papers missing from it are embedded first.
``--no-quality --random-vectors`` gives the speed figures without the model (a
ranking costs the same whatever the vectors hold).
"""

import argparse
import gzip
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import Progress, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

from dailypapers.recommend.profile import Candidate, Follows, Profile, ProfilePaper  # noqa: E402
from dailypapers.recommend.ranker import WEIGHTS, CandidatePool, Weights  # noqa: E402
from dailypapers.recommend.words import forget_paper_terms, term_numbers  # noqa: E402
from dailypapers.search.analysis import topic_terms  # noqa: E402

WINDOW_DAYS = 30
TOP = 50
PROFILE_CAP = 500
DISMISSED = 10
FOLLOWED_CATEGORIES = 2
SPEED_RUNS = 200
SPEED_DAYS = 7
console = Console()


def paper_vectors(texts: list[str]) -> np.ndarray:
    """The project's embeddings of ``texts``: from the benchmarks' on-disk cache, the model
    loaded only for texts missing there (in chunks, each cached as it is done)."""
    from dailypapers.search.embeddings import CachingEmbedder, EmbeddingCache, text_hash
    from dailypapers.search.minilm import MiniLMEmbedder, embedding_name

    cache = EmbeddingCache(
        Path(os.environ.get("DAILYPAPERS_EMBEDDING_CACHE", harness.EMBEDDING_CACHE))
    )
    name = embedding_name(256, True)  # MiniLMEmbedder's defaults, as vector_index.py runs it
    hashes = [text_hash(t) for t in texts]
    found = cache.get(name, hashes)
    missing = [i for i, h in enumerate(hashes) if h not in found]
    if missing:
        model_dir = Path(tempfile.mkdtemp(prefix="dailypapers-bench-model-"))
        embedder = CachingEmbedder(MiniLMEmbedder(model_dir), cache)
        with Progress(*Progress.get_default_columns(), TimeElapsedColumn()) as progress:
            task = progress.add_task("embedding papers missing from the cache", total=len(missing))
            for start in range(0, len(missing), 2000):
                chunk = missing[start : start + 2000]
                for i, vector in zip(
                    chunk, embedder.embed_documents([texts[i] for i in chunk]), strict=True
                ):
                    found[hashes[i]] = vector.tobytes()
                progress.advance(task, len(chunk))
    return np.vstack([np.frombuffer(found[h], dtype=np.float32) for h in hashes])


@dataclass
class Corpus:
    rows: list[dict]
    vectors: np.ndarray
    published: list[date]
    upvotes: dict[str, int]
    index: dict[str, int]

    def paper(self, i: int) -> ProfilePaper:
        row = self.rows[i]
        return ProfilePaper(row["id"], row["title"], row["abstract"], self.vectors[i])

    def candidate(self, i: int) -> Candidate:
        row = self.rows[i]
        # No authors: the reader is an author, and would find themself.
        return Candidate(
            row["id"],
            row["title"],
            row["abstract"],
            self.vectors[i],
            categories=row["categories"],
            published=self.published[i],
            upvotes=self.upvotes.get(row["id"], 0),
        )

    def between(self, start: date, end: date) -> list[int]:
        return [i for i, day in enumerate(self.published) if start <= day < end]


def random_vectors(count: int, dim: int = 384, seed: int = 5) -> np.ndarray:
    """Random unit vectors: for the speed figures alone (``--random-vectors``), which do not
    depend on what the vectors hold, without embedding the corpus (20 minutes idle)."""
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def load(data: Path, limit: int | None, embedded: bool = True) -> Corpus:
    from dailypapers.search.embeddings import paper_text

    with gzip.open(harness.require(data / "arxiv-cs.jsonl.gz"), "rt") as lines:
        rows = [json.loads(line) for line, _ in zip(lines, range(limit or 10**9), strict=False)]
    upvotes: dict[str, int] = {}
    with gzip.open(harness.require(data / "hf-daily.jsonl.gz"), "rt") as lines:
        for line in lines:
            listing = json.loads(line)
            if listing["upvotes"] is not None:
                upvotes[listing["id"]] = max(upvotes.get(listing["id"], 0), listing["upvotes"])
    started = time.perf_counter()
    texts = [paper_text(row["title"], row["abstract"]) for row in rows]
    vectors = paper_vectors(texts) if embedded else random_vectors(len(texts))
    console.print(
        f"{len(rows):,} papers, {len(vectors):,} vectors in {time.perf_counter() - started:.0f} s"
        f" ({sum(1 for r in rows if r['id'] in upvotes):,} with Hugging Face upvotes)"
    )
    published = [date.fromisoformat(row["published"]) for row in rows]
    index = {row["id"]: i for i, row in enumerate(rows)}
    return Corpus(rows, vectors, published, upvotes, index)


@dataclass
class Reader:
    author: str
    liked: list[int]  # corpus rows, oldest first
    relevant: set[str]


def readers(corpus: Corpus, cutoff: date, end: date, min_papers: int) -> list[Reader]:
    papers: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(corpus.rows):
        for author in row["authors"]:
            papers[author].append(i)
    found = []
    for author, rows in papers.items():
        before = [i for i in rows if corpus.published[i] < cutoff]
        after = {corpus.rows[i]["id"] for i in rows if cutoff <= corpus.published[i] < end}
        if len(before) >= min_papers and after:
            found.append(Reader(author, before[-PROFILE_CAP:], after))
    return found


def recall_and_ndcg(ranked: list[str], relevant: set[str]) -> tuple[float, float]:
    hits = [pid in relevant for pid in ranked[:TOP]]
    dcg = sum(1 / math.log2(i + 2) for i, hit in enumerate(hits) if hit)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(TOP, len(relevant))))
    return sum(hits) / len(relevant), dcg / ideal


def top_ids(pool: CandidatePool, scores: np.ndarray) -> list[str]:
    """The best ``TOP`` by score; equal scores newest first, then the later in the listing."""
    order = np.lexsort((-np.arange(len(pool)), -pool.published, -scores))
    return [pool.ids[i] for i in order[:TOP]]


BASELINES = [
    "newest first",
    "most upvoted",
    "BM25 of the profile",
    "cosine to the mean embedding",
]


def baselines(pool: CandidatePool, corpus: Corpus, reader: Reader) -> dict[str, list[str]]:
    texts = [f"{corpus.rows[i]['title']} {corpus.rows[i]['abstract']}" for i in reader.liked]
    occurrences = Counter(t for text in texts for t in topic_terms(text))
    query = pool.words.query(term_numbers(occurrences), np.fromiter(occurrences.values(), float))
    bm25 = pool.words.bm25(query)
    mean = corpus.vectors[reader.liked].mean(axis=0)
    rankings = [
        np.zeros(len(pool)),
        pool.upvotes.astype(np.float64),
        bm25,
        pool.vectors @ mean,
    ]
    return {name: top_ids(pool, scores) for name, scores in zip(BASELINES, rankings, strict=True)}


SHIPPED = "shipped: liked, follows, dismissed, recency"
WITHOUT_DISMISSALS = "  without dismissals"
NONE = Weights(words=0, nearest=0, linear=0, follows=0, dismissed=0, recency=0)
VARIANTS = {
    "  without follows": replace(WEIGHTS, follows=0),
    "  without recency": replace(WEIGHTS, recency=0),
    "  without the linear model": replace(WEIGHTS, linear=0),
    "  words alone (profile-weighted BM25)": replace(NONE, words=1),
    "  nearest liked papers alone": replace(NONE, nearest=1),
    "  linear model alone": replace(NONE, linear=1),
}
KNOB = [0.1, 0.25, 0.5]
COLD_FOLLOWS = "cold start: 2 categories followed, nothing liked"
COLD_FEW = "cold start: 3 liked papers and the 2 categories"


def variants(
    pool: CandidatePool, before: CandidatePool, corpus: Corpus, reader: Reader
) -> dict[str, list[str]]:
    """The shipped ranker's top ``TOP`` for the reader, with each signal's part varied."""
    liked = [corpus.paper(i) for i in reader.liked]
    categories = Counter(c for i in reader.liked for c in corpus.rows[i]["categories"])
    follows = Follows(frozenset(c for c, _ in categories.most_common(FOLLOWED_CATEGORIES)))
    plain = Profile(liked=liked, follows=follows)
    # Dismissed: what the ranker put first last month that the author did not write.
    shown = before.rank(plain, limit=DISMISSED)
    full = replace(plain, dismissed=[corpus.paper(corpus.index[r.arxiv_id]) for r in shown])
    signals = pool.signals(full)
    eligible = pool.eligible(full)

    def ids(recommendations) -> list[str]:
        return [r.arxiv_id for r in recommendations]

    found = {SHIPPED: ids(pool.ranked(signals, eligible, limit=TOP))}
    found[WITHOUT_DISMISSALS] = ids(pool.rank(plain, limit=TOP))
    for name, weights in VARIANTS.items():
        found[name] = ids(pool.ranked(signals, eligible, limit=TOP, weights=weights))
    for knob in KNOB:
        found[f"  community knob at {knob}"] = ids(
            pool.ranked(signals, eligible, limit=TOP, community=knob)
        )
    found[COLD_FOLLOWS] = ids(pool.rank(Profile(follows=follows), limit=TOP))
    found[COLD_FEW] = ids(pool.rank(Profile(liked=liked[-3:], follows=follows), limit=TOP))
    return found


def evaluate(corpus: Corpus, cutoff: date, users: int, min_papers: int, seed: int) -> dict:
    end = cutoff + timedelta(days=WINDOW_DAYS)
    pool = CandidatePool([corpus.candidate(i) for i in corpus.between(cutoff, end)])
    last_month = corpus.between(cutoff - timedelta(days=WINDOW_DAYS), cutoff)
    before = CandidatePool([corpus.candidate(i) for i in last_month])
    everyone = readers(corpus, cutoff, end, min_papers)
    rng = np.random.default_rng(seed)
    chosen = [everyone[i] for i in sorted(rng.permutation(len(everyone))[:users])]
    console.print(
        f"cut-off {cutoff}: {len(pool):,} candidates ({cutoff} to {end - timedelta(days=1)}),"
        f" {len(everyone):,} authors with ≥ {min_papers} papers before it and one in the window,"
        f" {len(chosen):,} drawn, {statistics.mean(len(r.relevant) for r in chosen):.2f}"
        " relevant papers each"
    )
    scores: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with Progress(*Progress.get_default_columns(), TimeElapsedColumn()) as progress:
        task = progress.add_task(f"readers at {cutoff}", total=len(chosen))
        for reader in chosen:
            ranked = baselines(pool, corpus, reader) | variants(pool, before, corpus, reader)
            for name, ids in ranked.items():
                scores[name].append(recall_and_ndcg(ids, reader.relevant))
            progress.advance(task)
    return {name: tuple(np.mean(values, axis=0)) for name, values in scores.items()}


def report(results: dict[date, dict]) -> None:
    table = Table(title=f"recall@{TOP} / nDCG@{TOP}")
    table.add_column("ranker")
    for cutoff in results:
        table.add_column(f"cut-off {cutoff}", justify="right")
    for name in next(iter(results.values())):
        table.add_row(
            name, *(f"{found[name][0]:.3f} / {found[name][1]:.3f}" for found in results.values())
        )
    console.print(table)
    beaten = all(
        found[SHIPPED][k] > found[b][k]
        for found in results.values()
        for b in BASELINES
        for k in (0, 1)
    )
    console.print(f"shipped ranker beats every baseline at every cut-off, both measures: {beaten}")


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[math.ceil(0.95 * len(times)) - 1]
    return f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms"


def densest_window(corpus: Corpus, days: int) -> tuple[date, list[int]]:
    per_day = Counter(corpus.published)
    first = min(per_day)
    starts = [first + timedelta(days=n) for n in range((max(per_day) - first).days - days)]
    start = max(starts, key=lambda s: sum(per_day[s + timedelta(days=n)] for n in range(days)))
    return start, corpus.between(start, start + timedelta(days=days))


def speed(corpus: Corpus, days: int = SPEED_DAYS) -> None:
    """One page, in process: a 500-paper profile against the densest ``days`` of the corpus."""
    from dailypapers.search.embeddings import paper_text
    from dailypapers.search.indexing import stored_terms

    start, window = densest_window(corpus, days)
    older = corpus.between(min(corpus.published), start)
    started = time.perf_counter()
    pool = CandidatePool([corpus.candidate(i) for i in window])
    pool.covariance  # noqa: B018 (computed once per window, like the words)
    built = time.perf_counter() - started
    rng = np.random.default_rng(11)
    first_page, again, cpu = [], [], []
    for _ in range(SPEED_RUNS):
        # With the terms the indexer stores beside each embedding, as the site reads them.
        liked = [
            replace(paper, terms=stored_terms(paper_text(paper.title, paper.abstract)))
            for paper in map(corpus.paper, rng.choice(older, PROFILE_CAP, replace=False))
        ]
        follows = Follows(frozenset(corpus.rows[int(rng.choice(older))]["categories"][:1]))
        forget_paper_terms()
        for times in (first_page, again):
            profile = Profile(liked=liked, follows=follows)
            started, started_cpu = time.perf_counter(), time.process_time()
            pool.rank(profile, limit=TOP)
            times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    console.print(
        f"speed: {len(window):,} candidates ({start} + {days} days) of {len(corpus.rows):,} papers;"
        f" the window prepared once in {built * 1000:.0f} ms; a {PROFILE_CAP}-paper profile"
        f" ranked, {SPEED_RUNS} profiles (load average {os.getloadavg()[0]:.1f}):\n"
        f"  a reader's first page: {percentiles(first_page)}\n"
        f"  a page again: {percentiles(again)};"
        f" CPU time {percentiles(cpu)} (two threads for the matrix product)"
    )


def speed_through_catalog(corpus: Corpus, days: int = SPEED_DAYS) -> None:
    """The same page through the database (SQLite): the corpus imported with its
    embeddings, then per page the window's pool (``catalog.pool``: prepared once, then
    checked for changes), the reader's 500 papers read (``catalog.profile_papers``), ranked."""
    from dailypapers.ingest.importer import import_file
    from dailypapers.recommend import catalog
    from dailypapers.search.backends import embedder
    from dailypapers.search.embeddings import paper_text, text_hash
    from dailypapers.search.indexing import store_missing_terms
    from dailypapers.search.models import PaperEmbedding

    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl") as rows:
        rows.writelines(json.dumps(row) + "\n" for row in corpus.rows)
        rows.flush()
        import_file(Path(rows.name), console=Console(stderr=True, quiet=True))
    model = embedder().name
    PaperEmbedding.objects.bulk_create(
        (
            PaperEmbedding(
                paper_id=row["id"],
                model=model,
                text_hash=text_hash(paper_text(row["title"], row["abstract"])),
                vector=vector.tobytes(),
            )
            for row, vector in zip(corpus.rows, corpus.vectors, strict=True)
        ),
        batch_size=2000,
    )
    store_missing_terms()  # as `dailypapers index` does beside each embedding
    console.print(
        f"{len(corpus.rows):,} papers and their embeddings stored in"
        f" {time.perf_counter() - started:.0f} s (SQLite)"
    )
    start, _ = densest_window(corpus, days)
    window = (start, start + timedelta(days=days - 1))
    started = time.perf_counter()
    catalog.pool(*window)
    built = time.perf_counter() - started
    older = [
        row["id"] for row, day in zip(corpus.rows, corpus.published, strict=True) if day < start
    ]
    rng = np.random.default_rng(11)
    first_page, again = [], []
    for _ in range(SPEED_RUNS):
        liked_ids = list(rng.choice(older, PROFILE_CAP, replace=False))
        forget_paper_terms()
        for times in (first_page, again):
            started = time.perf_counter()
            profile = Profile(liked=catalog.profile_papers(liked_ids))
            catalog.pool(*window).rank(profile, limit=TOP)
            times.append((time.perf_counter() - started) * 1000)
    console.print(
        f"through the catalog: the window read and prepared in {built * 1000:.0f} ms; a page"
        f" (window checked, {PROFILE_CAP} liked papers read, ranked), {SPEED_RUNS} profiles"
        f" (load average {os.getloadavg()[0]:.1f}):\n"
        f"  a reader's first page: {percentiles(first_page)}\n"
        f"  a page again: {percentiles(again)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cutoffs",
        nargs="+",
        type=date.fromisoformat,
        default=[date(2025, 11, 1), date(2026, 2, 1)],
    )
    parser.add_argument("--users", type=int, default=1000, help="readers drawn per cut-off")
    parser.add_argument("--min-papers", type=int, default=8)
    parser.add_argument("--rows", type=int, help="only the corpus's first rows (development)")
    parser.add_argument("--data", type=Path, default=harness.SHARED)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--no-quality", action="store_true", help="the speed figures alone")
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="random unit vectors instead of the model's (with --no-quality only)",
    )
    args = parser.parse_args()
    if args.random_vectors and not args.no_quality:
        parser.error("--random-vectors gives speed figures only: add --no-quality")
    # Django configured first: the model, when papers are missing from the cache, reads
    # its settings, and the speed through the catalog writes to this fresh database.
    harness.setup()
    corpus = load(args.data, args.rows, embedded=not args.random_vectors)
    if not args.no_quality:
        results = {
            cutoff: evaluate(corpus, cutoff, args.users, args.min_papers, args.seed)
            for cutoff in args.cutoffs
        }
        report(results)
    if not args.no_speed:
        speed(corpus)
        speed_through_catalog(corpus)


if __name__ == "__main__":
    main()
