"""Search relevance on SciFact (BEIR), through the project's own search code.

    .venv/bin/python bench/relevance.py [--postgres postgres://postgres@127.0.0.1:5432]
        [--keyword-only [--engines tantivy,postgresql]] [--known-item 3000 [--drop 0.25]]
        [--as-typed]

The 5,183 SciFact abstracts are stored as papers in a temporary database and
indexed by ``dailypapers index``'s code; each of the 300 test claims is run
through ``search.service.rank`` (what ``search()`` and the API use). Reported:
nDCG@10 and recall@100 for keyword-only, semantic-only and hybrid, on the
tuning half of the queries (odd ids), the held-out half (even ids) and all.
The hybrid weight and confidence power, then the whole-match bonus, are picked on
the tuning half only, and the min-max fusion used before 2026-12-03 is reported
beside them, with the latency of ``rank()`` in hybrid mode before and now (query
embedding included).
The keyword engine is the one DAILYPAPERS_KEYWORD_ENGINE names (Tantivy by
default, on either database).

``--known-item N`` is a second collection: N papers sampled from the shared arXiv
corpus (seeded), and 300 of them sought by the first sentence of their abstract
with the rarest ``--drop`` share of its topic words (rarity: document frequency
in the sample) taken out; that paper is the one relevant answer. Nothing is fitted
on it: hybrid runs with the service's constants, fitted on SciFact.

Each query is widened as ``search()`` widens it (typos corrected, acronyms expanded:
``service.widened``); ``--as-typed`` runs the queries as parsed, as before 2026-12-03.
The time ``widened()`` takes per query is reported.

``--keyword-only`` skips the embeddings and scores keyword search alone, for each engine
``--engines`` names (PostgreSQL's full-text engine needs ``--postgres``), in the same run.

Then the same while embeddings are being built: a seeded random share of the
papers keeps its embedding (COVERAGES), and hybrid as configured (a paper
without an embedding ranked by its keyword score) is compared with keyword
search and with hybrid giving such a paper 0 on the semantic side.
"""

import argparse
import gzip
import json
import math
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import harness  # noqa: E402

SCIFACT = harness.SHARED / "eval" / "scifact"
ARXIV = harness.SHARED / "arxiv-cs.jsonl.gz"
WEIGHTS = [round(w * 0.05, 2) for w in range(21)]
CONFIDENCE_POWERS = [0.0, 0.5, 1.0]
WHOLE_QUERY_BONUSES = [0.0, 0.25, 0.5, 1.0, 2.0]
KNOWN_ITEM_QUERIES = 300
COVERAGES = [0.02, 0.1, 0.25, 0.5, 0.75, 0.9]
TITLE_BOOSTS = [0.0, 0.25, 0.35, 0.5, 1.0, 2.0]
ALTERNATIVE_WEIGHTS = [0.0, 0.1, 0.25, 0.5, 1.0]
PG_RANKINGS = [
    ("{0.1, 0.2, 0.4, 1.0}", 0),
    ("{0, 0.5, 0.5, 1.0}", 0),
    ("{0, 0.5, 0.5, 1.0}", 1),
    ("{0, 0.3, 0.75, 1.0}", 1),
    ("{0, 0.3, 0.75, 1.0}", 32),
]


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, pid in enumerate(ranked[:10]) if pid in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def recall_at_100(ranked: list[str], relevant: set[str]) -> float:
    return len(set(ranked[:100]) & relevant) / len(relevant)


def load(corpus_ids: dict[str, str]) -> None:
    from dailypapers.papers.records import PaperRecord
    from dailypapers.papers.upserts import upsert_papers

    records = []
    with gzip.open(SCIFACT / "corpus.jsonl.gz", "rt") as lines:
        for number, line in enumerate(lines, 1):
            doc = json.loads(line)
            # Papers are keyed by arXiv id: give each abstract a made-up one.
            arxiv_id = corpus_ids.setdefault(doc["_id"], f"1001.{number:05d}")
            records.append(
                PaperRecord.build(
                    arxiv_id=arxiv_id, title=doc["title"], abstract=doc["text"], authors=[]
                )
            )
    for start in range(0, len(records), 1000):
        upsert_papers(records[start : start + 1000])


def load_known_items(papers: int, drop: float) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Store ``papers`` arXiv papers; return known-item queries and their answers."""
    from dailypapers.papers.records import PaperRecord
    from dailypapers.papers.upserts import upsert_papers
    from dailypapers.search.query import STOP_WORDS

    with gzip.open(harness.require(ARXIV), "rt") as lines:
        rows = [json.loads(line) for line in lines]
    generator = random.Random(7)
    sample = generator.sample(rows, papers)
    records = [
        PaperRecord.build(arxiv_id=r["id"], title=r["title"], abstract=r["abstract"], authors=[])
        for r in sample
    ]
    for start in range(0, len(records), 1000):
        upsert_papers(records[start : start + 1000])
    word = re.compile(r"[a-z][a-z0-9-]+")
    frequency: dict[str, int] = {}
    for r in sample:
        for w in set(word.findall(f"{r['title']} {r['abstract']}".lower())):
            frequency[w] = frequency.get(w, 0) + 1
    queries, qrels = {}, {}
    for number, r in enumerate(generator.sample(sample, KNOWN_ITEM_QUERIES), 1):
        first = re.split(r"(?<=[.!?])\s+(?=[A-Z])", " ".join(r["abstract"].split()))[0]
        tokens = first.split()
        topical = sorted(
            (frequency.get(w, 0), i)
            for i, token in enumerate(tokens)
            for w in word.findall(token.lower())[:1]
            if w not in STOP_WORDS
        )
        dropped = {i for _, i in topical[: max(1, round(len(topical) * drop))]}
        queries[str(number)] = " ".join(t for i, t in enumerate(tokens) if i not in dropped)
        qrels[str(number)] = {r["id"]}
    return queries, qrels


def minmax_fuse(
    keyword: list[tuple[str, float]],
    semantic: list[tuple[str, float]],
    keyword_weight: float = 0.5,
    **coverage: object,
) -> list[tuple[str, float]]:
    """The fusion before 2026-12-03, for comparison: min-max normalised scores, weighted.

    Run at full coverage only: ``rank()``'s coverage arguments are without effect there.
    """

    def normalised(ranked):
        scores = [score for _, score in ranked]
        low, span = min(scores, default=0), max(scores, default=0) - min(scores, default=0)
        return {pid: (score - low) / span if span else 1.0 for pid, score in ranked}

    kw, sem = normalised(keyword), normalised(semantic)
    fused = {
        pid: keyword_weight * kw.get(pid, 0.0) + (1 - keyword_weight) * sem.get(pid, 0.0)
        for pid in kw.keys() | sem.keys()
    }
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="server URL; a temporary database is created")
    parser.add_argument("--keyword-only", action="store_true", help="no embeddings")
    parser.add_argument("--engines", help="keyword engines to compare, comma-separated")
    parser.add_argument("--known-item", type=int, metavar="N", help="arXiv known-item set")
    parser.add_argument("--drop", type=float, default=0.25, help="share of query words dropped")
    parser.add_argument("--as-typed", action="store_true", help="no typo or acronym widening")
    args = parser.parse_args()
    harness.require(SCIFACT)
    label = harness.setup(args.postgres)

    from django.conf import settings

    from dailypapers.search import backends, progress, service
    from dailypapers.search.documents import SearchFilters
    from dailypapers.search.indexing import embed_pending, sync_keyword_index
    from dailypapers.search.models import PaperEmbedding
    from dailypapers.search.query import parse_query

    corpus_ids: dict[str, str] = {}
    started = time.perf_counter()
    if args.known_item:
        queries, qrels = load_known_items(args.known_item, args.drop)
    else:
        load(corpus_ids)
    harness.analyze()
    sync_keyword_index()
    if not args.keyword_only:
        embed_pending()
    print(
        f"{label}: indexed {args.known_item or len(corpus_ids)} abstracts in "
        f"{time.perf_counter() - started:.0f} s (embeddings cached in {settings.EMBEDDING_CACHE})"
    )

    if not args.known_item:
        lines = (SCIFACT / "queries.jsonl").read_text().splitlines()
        queries = {q["_id"]: q["text"] for q in map(json.loads, lines)}
        qrels = {}
        for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
            query_id, corpus_id, score = line.split()
            if int(score) > 0:
                qrels.setdefault(query_id, set()).add(corpus_ids[corpus_id])
    splits = {
        "tune (odd ids)": [q for q in qrels if int(q) % 2],
        "held out (even)": [q for q in qrels if not int(q) % 2],
        "all 300": list(qrels),
    }
    tune = splits["tune (odd ids)"]

    def understood(text: str):
        query = parse_query(text)
        return query if args.as_typed else service.widened(query)[0]

    def print_widening() -> None:
        """What widening does to the queries, and what it costs each (the lexicon loaded)."""
        service.widened(parse_query("warm up"))
        timings, widened = [], 0
        for q in qrels:
            query = parse_query(queries[q])
            started = time.perf_counter()
            _, notices = service.widened(query)
            timings.append(1000 * (time.perf_counter() - started))
            widened += bool(notices)
        cuts = statistics.quantiles(timings, n=100)
        print(
            f"widened(): {widened} of {len(qrels)} queries widened; "
            f"p50 {cuts[49]:.2f} ms, p99 {cuts[98]:.2f} ms, max {max(timings):.2f} ms"
        )

    if not args.as_typed:
        print_widening()

    def score(ranking_of, query_ids):
        ndcg = sum(ndcg_at_10(ranking_of(q), qrels[q]) for q in query_ids) / len(query_ids)
        recall = sum(recall_at_100(ranking_of(q), qrels[q]) for q in query_ids) / len(query_ids)
        return ndcg, recall

    def keyword_ndcg(runs) -> float:
        return score(lambda q: [pid for pid, _ in runs[q]], tune)[0]

    def ranked(mode):
        return {
            q: service.rank(understood(queries[q]), SearchFilters(), mode, service.CANDIDATES)[0]
            for q in qrels
        }

    def pick(module, name: str, choices, what: str) -> None:
        """Set ``module.name`` to the choice with the best keyword nDCG@10 on the tuning half."""
        configured = getattr(module, name)
        scores = {}
        for choice in choices:
            setattr(module, name, choice)
            scores[choice] = keyword_ndcg(ranked("keyword"))
        chosen = max(choices, key=scores.get)
        print(
            f"{what} by keyword nDCG@10 on the tuning half: "
            + ", ".join(f"{c}: {n:.3f}" for c, n in scores.items())
        )
        print(f"chosen {chosen} ({module.__name__}.{name} = {configured})")
        setattr(module, name, chosen)

    def tune_engine() -> None:
        """Pick the engine's own knobs on the tuning half, as its constants were picked."""
        from dailypapers.search import keyword_postgres, keyword_tantivy

        if settings.KEYWORD_ENGINE == "tantivy":
            pick(keyword_tantivy, "TITLE_BOOST", TITLE_BOOSTS, "title boost")
        else:
            configured = (keyword_postgres.RANK_WEIGHTS, keyword_postgres.RANK_NORMALIZATION)
            rank_scores = {}
            for weights, normalization in PG_RANKINGS:
                keyword_postgres.RANK_WEIGHTS = weights
                keyword_postgres.RANK_NORMALIZATION = normalization
                rank_scores[weights, normalization] = keyword_ndcg(ranked("keyword"))
            chosen = max(PG_RANKINGS, key=rank_scores.get)
            print(
                "ts_rank weights and normalisation by keyword nDCG@10 on the tuning half: "
                + ", ".join(f"{w} n={n}: {v:.3f}" for (w, n), v in rank_scores.items())
            )
            print(f"chosen {chosen} (keyword_postgres: {configured})")
            keyword_postgres.RANK_WEIGHTS, keyword_postgres.RANK_NORMALIZATION = chosen
        if args.as_typed or settings.KEYWORD_ENGINE != "tantivy":
            return
        # Then the weight of what widening adds (acronyms and long forms); PostgreSQL's
        # ts_rank takes them as more alternatives of its OR query, with no weight of its own.
        pick(keyword_tantivy, "ALTERNATIVE_WEIGHT", ALTERNATIVE_WEIGHTS, "alternatives' weight")

    def print_table(rows) -> None:
        print(f"\n{label:<22}" + "".join(f"{name:>28}" for name in splits))
        print(f"{'':<22}" + "      nDCG@10  recall@100" * len(splits))
        for name, ranking_of in rows.items():
            cells = "".join(
                f"{'':>9}{n:.3f}{'':>6}{r:.3f}"
                for n, r in (score(ranking_of, ids) for ids in splits.values())
            )
            print(f"{name:<22}{cells}")

    def print_latency() -> None:
        """rank() in hybrid mode, per query, as before 2026-12-03 (min-max, no whole-query
        bonus) and as configured, the query embedded each time;
        the two alternate query by query, so that a busy moment of the machine hits both."""
        configured = service.fuse, service.whole_matches
        fusions = {
            "min-max (before)": (minmax_fuse, lambda *args: set()),
            "service": configured,
        }
        timings: dict[str, list[float]] = {name: [] for name in fusions}
        for n, q in enumerate(qrels):
            for name in sorted(fusions, reverse=bool(n % 2)):
                service.fuse, service.whole_matches = fusions[name]
                backends.embedder().embed_query.cache_clear()
                started = time.perf_counter()
                service.rank(understood(queries[q]), SearchFilters(), "hybrid", service.CANDIDATES)
                timings[name].append(1000 * (time.perf_counter() - started))
        service.fuse, service.whole_matches = configured
        for name, times in timings.items():
            cuts = statistics.quantiles(times, n=100)
            print(f"rank() hybrid, fusion {name}: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms")

    if args.keyword_only:
        for engine in (args.engines or settings.KEYWORD_ENGINE).split(","):
            settings.KEYWORD_ENGINE = engine
            backends.reset()
            sync_keyword_index()
            print(f"\nkeyword engine: {engine}")
            tune_engine()
            runs = ranked("keyword")
            print_table({f"keyword ({engine})": lambda q, runs=runs: [p for p, _ in runs[q]]})
        return
    if not args.known_item:
        tune_engine()
    keyword_runs, semantic_runs = ranked("keyword"), ranked("semantic")

    def fused(weight, power):
        return lambda q: [
            pid
            for pid, _ in service.fuse(
                keyword_runs[q], semantic_runs[q], keyword_weight=weight, confidence_power=power
            )
        ]

    def before(q):
        return [pid for pid, _ in minmax_fuse(keyword_runs[q], semantic_runs[q])]

    whole = {q: service.whole_matches(understood(queries[q]), SearchFilters()) for q in qrels}

    def favoured(weight, power, bonus):
        return lambda q: [
            pid
            for pid, _ in service.favour_whole_matches(
                service.fuse(
                    keyword_runs[q], semantic_runs[q], keyword_weight=weight, confidence_power=power
                ),
                whole[q],
                bonus,
            )
        ]

    configured = (service.KEYWORD_WEIGHT, service.CONFIDENCE_POWER)
    bonus = service.WHOLE_QUERY_BONUS
    if args.known_item:
        best = configured
    else:
        grid = {(w, p): score(fused(w, p), tune)[0] for p in CONFIDENCE_POWERS for w in WEIGHTS}
        best = max(grid, key=grid.get)
        for power in CONFIDENCE_POWERS:
            print(
                f"keyword weight by nDCG@10 on the tuning half, confidence power {power}: "
                + ", ".join(f"{w}: {grid[w, power]:.3f}" for w in WEIGHTS)
            )
        print(
            f"chosen keyword weight {best[0]}, confidence power {best[1]} (service: "
            f"KEYWORD_WEIGHT = {configured[0]}, CONFIDENCE_POWER = {configured[1]})"
        )
        bonuses = {b: score(favoured(*best, b), tune)[0] for b in WHOLE_QUERY_BONUSES}
        print(
            f"whole-query bonus by nDCG@10 on the tuning half ({sum(map(bool, whole.values()))} "
            "queries of the 300 have papers holding all their words): "
            + ", ".join(f"{b}: {n:.3f}" for b, n in bonuses.items())
        )
        bonus = max(WHOLE_QUERY_BONUSES, key=bonuses.get)
        print(f"chosen bonus {bonus} (service.WHOLE_QUERY_BONUS = {service.WHOLE_QUERY_BONUS})")
    rows = {
        "keyword": lambda q: [pid for pid, _ in keyword_runs[q]],
        "semantic": lambda q: [pid for pid, _ in semantic_runs[q]],
        "hybrid, min-max 0.5": before,
        f"hybrid (w={best[0]}, p={best[1]})": fused(*best),
        f"  + whole-query bonus {bonus}": favoured(*best, bonus),
    }
    print_table(rows)
    print_latency()
    if args.known_item:
        return

    print(
        "\nWhile embeddings are built (a random share of the papers embedded): "
        "nDCG@10 on the tuning half / held-out half"
    )
    columns = {
        "keyword": 16,
        "hybrid, 0 if missing": 24,
        "missing: keyword score": 26,
        "hybrid as configured": 24,
    }
    print("embedded" + "".join(name.rjust(width) for name, width in columns.items()))
    held_out = splits["held out (even)"]
    everything = list(PaperEmbedding.objects.all())
    ids = sorted(corpus_ids.values())
    generator = random.Random(11)
    for coverage in COVERAGES:
        embedded = set(generator.sample(ids, round(coverage * len(ids))))
        PaperEmbedding.objects.exclude(paper_id__in=embedded).delete()
        # What the indexer records as it goes, and hybrid search reads.
        progress.record(progress.Progress(len(embedded), len(ids)))
        backends.reset()
        partial_semantic, partial_hybrid = ranked("semantic"), ranked("hybrid")

        def zero(q, semantic=partial_semantic):
            return [pid for pid, _ in service.fuse(keyword_runs[q], semantic[q])]

        def keyword_score(q, semantic=partial_semantic, embedded=embedded):
            missing = {pid for pid, _ in keyword_runs[q]} - embedded
            fused = service.fuse(keyword_runs[q], semantic[q], unembedded=missing)
            return [pid for pid, _ in fused]

        rows = [
            lambda q: [pid for pid, _ in keyword_runs[q]],
            zero,
            keyword_score,
            lambda q, hybrid=partial_hybrid: [pid for pid, _ in hybrid[q]],
        ]
        cells = "".join(
            f"{score(ranking_of, tune)[0]:.3f} / {score(ranking_of, held_out)[0]:.3f}".rjust(width)
            for ranking_of, width in zip(rows, columns.values(), strict=True)
        )
        print(f"{coverage:<8.0%}{cells}")
        PaperEmbedding.objects.bulk_create(everything, ignore_conflicts=True)
        progress.record(progress.Progress(len(ids), len(ids)))


if __name__ == "__main__":
    main()
