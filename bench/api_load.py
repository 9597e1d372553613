"""API throughput with the production server (gunicorn via `dailypapers serve`) and wrk.

    DAILYPAPERS_DATA_DIR=/tmp/dpbench .venv/bin/python bench/api_load.py [--seconds 20]

Needs a data dir already holding the 100k corpus, the daily listings and the
search indexes (see docs/benchmarks.md: `dailypapers import …` then
`dailypapers index`), and Debian's `wrk` (`apt-get install wrk`). Starts the
server on a free local port, warms it, then runs wrk (2 threads, 16
connections) on each endpoint and prints requests/s and latency percentiles;
the one-row `/api/papers/{id}` lookup is the baseline the others are compared to.
"""

import argparse

from http_load import measure

ENDPOINTS = [
    ("paper (baseline)", "/api/papers/2403.01779"),
    ("daily_papers", "/api/daily_papers?date=2024-03-05"),
    ("daily_papers week", "/api/daily_papers?week=2025-W20&sort=trending"),
    ("papers/search", "/api/papers/search?q=block-wise+quantization+of+large+language+models"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument(
        "--rate", type=int, default=300, help="then each path at this offered rate (0: skip)"
    )
    args = parser.parse_args()
    measure(ENDPOINTS, args.seconds, args.rate)


if __name__ == "__main__":
    main()
