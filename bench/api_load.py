"""API throughput with the production server (gunicorn via `dailypapers serve`) and wrk.

    DAILYPAPERS_DATA_DIR=/tmp/dpbench .venv/bin/python bench/api_load.py [--seconds 20]

Needs a data dir already holding the 100k corpus, the daily listings and the
search indexes (see docs/benchmarks.md: `dailypapers import …` then
`dailypapers index`), and Debian's `wrk` (`apt-get install wrk`). Starts the
server on a free local port, warms it, then runs wrk (2 threads, 16
connections) on each endpoint and prints requests/s and latency percentiles;
the one-row `/api/papers/{id}` lookup is the baseline the others are compared to.

Search is loaded twice: one query over and over (what the shared-answer cache
serves to a crowd asking the same thing), and a stream of distinct queries
that no cache has seen, drawn like the 200 of `search_latency.py` (keywords,
quoted phrases, author names, long natural-language descriptions; the first
200 are those very queries).
"""

import argparse
import gzip
import json
from urllib.parse import quote_plus

import harness
from http_load import measure
from search_latency import CORPUS, make_queries

ENDPOINTS = [
    ("paper (baseline)", "/api/papers/2403.01779"),
    ("daily_papers", "/api/daily_papers?date=2024-03-05"),
    ("daily_papers week", "/api/daily_papers?week=2025-W20&sort=trending"),
    ("search, one query", "/api/papers/search?q=block-wise+quantization+of+large+language+models"),
]
# Enough for the warm-up and both runs of 20 s at a few hundred requests/s.
DISTINCT_QUERIES = 15_000


def distinct_searches(count: int) -> list[str]:
    with gzip.open(harness.require(CORPUS), "rt") as lines:
        rows = [json.loads(line) for line in lines]
    texts = dict.fromkeys(text for _, text in make_queries(rows, count))
    return [f"/api/papers/search?q={quote_plus(text)}" for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--rate", type=int, default=100, help="then each path at this offered rate (0: skip)"
    )
    args = parser.parse_args()
    searches = distinct_searches(DISTINCT_QUERIES)
    print(f"{len(searches)} distinct search queries", flush=True)
    measure([*ENDPOINTS, ("search, distinct queries", searches)], args.seconds, args.rate)


if __name__ == "__main__":
    main()
