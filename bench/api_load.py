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
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

ENDPOINTS = [
    ("paper (baseline)", "/api/papers/2403.01779"),
    ("daily_papers", "/api/daily_papers?date=2024-03-05"),
    ("daily_papers week", "/api/daily_papers?week=2025-W20&sort=trending"),
    ("papers/search", "/api/papers/search?q=block-wise+quantization+of+large+language+models"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=30).read()
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server did not answer {url}")


def wrk(url: str, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])}
    for percent in ("50", "99"):
        value, unit = re.search(rf"\s{percent}%\s+([\d.]+)(us|ms|s)", out).groups()
        figures[f"p{percent}"] = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    figures["errors"] = int(errors[1]) if errors else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("skipped: wrk not installed (apt-get install wrk)")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dailypapers", "serve", "--port", str(port), "--no-indexer"],
        env=os.environ,
        stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _, path in ENDPOINTS:
            wait_for(base + path)
            # Every worker loads its indexes on first use: let them all, before measuring.
            wrk(base + path, 5)
        baseline = None
        for name, path in ENDPOINTS:
            figures = wrk(base + path, args.seconds)
            baseline = baseline or figures["rps"]
            print(
                f"{name:<20} {figures['rps']:7.0f} req/s ({figures['rps'] / baseline:4.2f}× "
                f"baseline)  p50 {figures['p50']:6.1f} ms  p99 {figures['p99']:6.1f} ms  "
                f"non-2xx {figures['errors']}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
